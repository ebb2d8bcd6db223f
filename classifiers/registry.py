"""Registry of structured-identifier detectors, imported lazily.

Adding an identifier: one module in ``classifiers/detectors/``, one line in :data:`DETECTORS`,
one table of cases in ``tests/test_detectors.py``.
"""

from __future__ import annotations

import importlib
from functools import cache

from triage.classifiers.base import Detector
from triage.errors import ConfigError

_PKG = "triage.classifiers.detectors"

#: detector id -> "module:Class"; the order is the stable order of :func:`all_detectors`.
DETECTORS: dict[str, str] = {
    "nhs": f"{_PKG}.nhs:NhsDetector",
    "nino": f"{_PKG}.nino:NinoDetector",
    "postcode": f"{_PKG}.postcode:PostcodeDetector",
    "vehicle_registration": f"{_PKG}.vehicle_registration:VehicleRegistrationDetector",
    "vehicle_registration_legacy": (
        f"{_PKG}.vehicle_registration:LegacyVehicleRegistrationDetector"
    ),
    "sort_code": f"{_PKG}.sort_code:SortCodeDetector",
    "sort_code_bare": f"{_PKG}.sort_code:BareSortCodeDetector",
    "uprn": f"{_PKG}.uprn:UprnDetector",
    "passport": f"{_PKG}.passport:PassportDetector",
    "driving_licence": f"{_PKG}.driving_licence:DrivingLicenceDetector",
    "email": f"{_PKG}.email:EmailDetector",
    "phone": f"{_PKG}.phone:PhoneDetector",
    "phone_bare": f"{_PKG}.phone:BarePhoneDetector",
    "ip_address": f"{_PKG}.ip_address:IpAddressDetector",
    "credit_card": f"{_PKG}.credit_card:CreditCardDetector",
    "iban": f"{_PKG}.iban:IbanDetector",
    "url": f"{_PKG}.url:UrlDetector",
    "coordinates": f"{_PKG}.coordinates:CoordinatesDetector",
    "grid_reference": f"{_PKG}.grid_reference:GridReferenceDetector",
    "date_time": f"{_PKG}.date_time:DateTimeDetector",
}


@cache
def get_detector(detector_id: str) -> Detector:
    """The (cached) detector instance registered as ``detector_id``.

    Raises
    ------
    ConfigError
        When the id is unknown or its target is not a ``Detector`` subclass.
    """
    target = DETECTORS.get(detector_id)
    if target is None:
        raise ConfigError(f"unknown detector id {detector_id!r}")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise ConfigError(f"detector {detector_id!r} does not name a Detector class")
    if cls.id != detector_id:
        raise ConfigError(f"detector {detector_id!r} registers a class with id {cls.id!r}")
    return cls()


def all_detectors() -> list[Detector]:
    """Every registered detector, in :data:`DETECTORS` order (cached instances)."""
    return [get_detector(detector_id) for detector_id in DETECTORS]
