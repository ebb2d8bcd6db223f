"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const key = () => sessionStorage.getItem("triage-key");
  const say = (text) => { $("message").textContent = text || ""; };
  let me = null;
  let timer = null;

  async function api(path, options) {
    const opts = options || {};
    opts.headers = Object.assign({ "X-API-Key": key() }, opts.headers || {});
    const res = await fetch(path, opts);
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = (await res.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(res.status + ": " + detail);
    }
    return res;
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  async function refresh() {
    try {
      const subs = await (await api("/v1/submissions")).json();
      const body = $("list").querySelector("tbody");
      body.replaceChildren();
      for (const s of subs) {
        const tr = document.createElement("tr");
        cell(tr, s.created_at.slice(0, 19).replace("T", " "));
        cell(tr, s.files.map((f) => f.name).join(", "));
        cell(tr, s.destination);
        cell(tr, s.status + (s.status === "running" && s.progress ? " – " + s.progress : ""));
        const d = cell(tr, (s.final_decision || s.decision || "") + (s.review_state === "pending" ? " (awaiting review)" : ""));
        d.className = "decision-" + (s.final_decision || s.decision || "");
        const open = document.createElement("button");
        open.textContent = "Open";
        open.addEventListener("click", () => show(s.id));
        cell(tr, "").appendChild(open);
        body.appendChild(tr);
      }
      if (me && me !== "submitter") await refreshQueue();
    } catch (e) { say(e.message); }
  }

  // The files the check proposed to the reviewer (report datasets with "proposed").
  async function proposedFiles(id) {
    const report = await (await api("/v1/submissions/" + encodeURIComponent(id) + "/report")).json();
    return (report.datasets || []).filter((d) => d.proposed).map((d) => d.name);
  }

  async function refreshQueue() {
    const subs = await (await api("/v1/submissions?review_state=pending&status=done")).json();
    const proposals = await Promise.all(subs.map((s) => proposedFiles(s.id)));
    const body = $("queue").querySelector("tbody");
    body.replaceChildren();
    subs.forEach((s, i) => {
      const tr = document.createElement("tr");
      cell(tr, s.created_at.slice(0, 19).replace("T", " "));
      cell(tr, s.files.map((f) => f.name).join(", "));
      cell(tr, s.decision);
      const proposed = proposals[i];
      const p = cell(tr, proposed.length ? "yes: " + proposed.join(", ") : "none");
      p.className = "proposal";
      const just = document.createElement("input");
      just.placeholder = "justification (required)";
      cell(tr, "").appendChild(just);
      const actions = cell(tr, "");
      const choices = [["approve_release", "Approve release as submitted"]];
      if (proposed.length) choices.push(["approve_with_changes", "Approve with changes"]);
      choices.push(["withhold", "Withhold"]);
      for (const [action, label] of choices) {
        const b = document.createElement("button");
        b.textContent = label;
        b.disabled = s.mine;
        b.addEventListener("click", () => review(s.id, action, just.value));
        actions.appendChild(b);
      }
      body.appendChild(tr);
    });
  }

  async function review(id, action, justification) {
    if (!justification.trim()) { say("A justification is required."); return; }
    try {
      await api("/v1/submissions/" + encodeURIComponent(id) + "/review", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ action: action, justification: justification }),
      });
      say("Review recorded.");
      await refresh();
    } catch (e) { say(e.message); }
  }

  async function show(id) {
    $("detail").hidden = false;
    $("detail-id").textContent = id;
    const s = await (await api("/v1/submissions/" + encodeURIComponent(id))).json();
    $("detail-status").textContent = s.status + (s.progress ? " – " + s.progress : "") +
      (s.decision ? " · decision: " + (s.final_decision || s.decision) : "") + (s.error ? " · " + s.error : "");
    const dl = $("downloads");
    dl.replaceChildren();
    for (const name of s.released) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.textContent = "Download " + name;
      b.addEventListener("click", () => download(id, name));
      li.appendChild(b);
      dl.appendChild(li);
    }
    if (s.status === "done") {
      const html = await (await api("/v1/submissions/" + encodeURIComponent(id) + "/report.html")).text();
      $("report").srcdoc = html;
    } else if (s.status !== "failed") {
      clearTimeout(timer);
      timer = setTimeout(() => { show(id); refresh(); }, 1000);
    }
  }

  async function download(id, name) {
    try {
      const res = await api("/v1/submissions/" + encodeURIComponent(id) + "/released/" + encodeURIComponent(name));
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url; a.download = name; a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) { say(e.message); }
  }

  async function signIn() {
    // The role is learned by probing: reviewers and admins may read the register.
    await api("/v1/rulebooks");
    try { await api("/v1/registry"); me = "reviewer"; } catch (e) { me = "submitter"; }
    $("signin").hidden = true;
    $("app").hidden = false;
    $("signout").hidden = false;
    $("who").textContent = "signed in (" + me + ")";
    $("queue-section").hidden = me === "submitter";
    await refresh();
  }

  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("triage-key", $("key").value.trim());
    $("key").value = "";
    try { await signIn(); say(""); } catch (e) { sessionStorage.removeItem("triage-key"); say(e.message); }
  });
  $("signout").addEventListener("click", () => { sessionStorage.removeItem("triage-key"); location.reload(); });
  $("upload-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    for (const k of ["recipient", "purpose", "context"]) { if (!form.get(k)) form.delete(k); }
    try {
      const res = await (await api("/v1/submissions", { method: "POST", body: form })).json();
      say("Submitted: " + res.id);
      ev.target.reset();
      await refresh();
      await show(res.id);
    } catch (e) { say(e.message); }
  });
  if (key()) signIn().catch(() => sessionStorage.removeItem("triage-key"));
})();
