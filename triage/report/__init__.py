"""The human-readable report of a check: Markdown and one-file HTML renderings of a
:class:`~triage.models.Report`, and the inline SVG map drawn into the HTML.

- ``words``: what decisions and column roles are called, shared formatting, findings grouped
  by dataset;
- ``sections``: each section's content (table rows, plain sentences), computed once from the
  report for both renderings;
- ``markdown``: :func:`~triage.report.markdown.render_markdown`;
- ``html_page`` (the page, its CSS, the triage record), ``html_dataset`` (one dataset's
  section), ``html_parts`` (escaping, tables, badges): :func:`~triage.report.html_page.render_html`;
- ``map_svg``: points before and after treatment with sensitive-site buffers, no tiles.

Rendering is pure (a report in, a string out) and deterministic. The report imports the
kernel only (models, vocabulary), never the pipeline, the readers and writers, the store or
the interfaces.
"""
