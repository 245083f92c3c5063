"""DCAT metadata as JSON-LD (dcat:Dataset with dcat:Distribution per file), readable without ckanext-dcat."""

from __future__ import annotations

from typing import Any, Callable

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "adms": "http://www.w3.org/ns/adms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _spatial(spatial: Any) -> Any:
    if spatial is None or isinstance(spatial, str):
        return spatial
    loc: dict[str, Any] = {"@type": "dct:Location", "skos:prefLabel": _get(spatial, "name")}
    if _get(spatial, "code"):
        loc["dct:identifier"] = _get(spatial, "code")
    return loc


def render_dcat(descriptor: Any, bundle: Any, url_for: Callable[[str], str] | None = None, landing_page: str | None = None) -> dict:
    """DCAT JSON-LD for one release; ``url_for(name)`` gives download URLs (relative names when None)."""
    where = url_for or (lambda name: name)
    dept = _get(descriptor, "department")
    temporal = _get(descriptor, "temporal")
    titles = [{"@value": _get(descriptor, "title", bundle.dataset_id), "@language": "zh"}]
    if _get(descriptor, "title_en"):
        titles.append({"@value": _get(descriptor, "title_en"), "@language": "en"})
    dists = []
    for f in bundle.files:
        if f.role == "dcat":
            continue
        dists.append({
            "@type": "dcat:Distribution",
            "dct:title": f.name,
            "dct:description": f.description,
            "dcat:downloadURL": {"@id": where(f.name)} if url_for else where(f.name),
            "dcat:mediaType": f.media_type,
            "dct:format": f.format,
            "dcat:byteSize": {"@value": str(f.bytes), "@type": "xsd:nonNegativeInteger"},
            "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"}, "spdx:checksumValue": f.sha256},
        })
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "dcat:Dataset",
        "@id": landing_page or f"urn:kaifang:dataset:{bundle.dataset_id}",
        "dct:identifier": bundle.dataset_id,
        "dct:title": titles,
        "dct:description": _get(descriptor, "description", ""),
        "dcat:keyword": list(_get(descriptor, "keywords", []) or []),
        "dcat:theme": _get(descriptor, "theme"),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": [{"@value": _get(dept, "name", ""), "@language": "zh"}, {"@value": _get(dept, "name_en", ""), "@language": "en"}]},
        "dct:license": _get(descriptor, "license"),
        "dct:accrualPeriodicity": _get(descriptor, "update_frequency"),
        "dct:spatial": _spatial(_get(descriptor, "spatial")),
        "dct:issued": {"@value": bundle.released_at, "@type": "xsd:dateTime"},
        "dcat:version": bundle.version,
        "adms:versionNotes": bundle.changelog.get("summary", ""),
        "dcat:distribution": dists,
    }
    if temporal is not None:
        period = {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": str(_get(temporal, "start", "")), "@type": "xsd:date"}}
        if _get(temporal, "end"):
            period["dcat:endDate"] = {"@value": str(_get(temporal, "end")), "@type": "xsd:date"}
        out["dct:temporal"] = period
    contact = _get(descriptor, "contact")
    if contact:
        if isinstance(contact, str):
            cp = {"@type": "vcard:Kind", "vcard:fn": contact}
            if "@" in contact:
                cp["vcard:hasEmail"] = {"@id": f"mailto:{contact}"}
        else:
            cp = {"@type": "vcard:Organization", "vcard:fn": _get(contact, "name", "")}
            if _get(contact, "email"):
                cp["vcard:hasEmail"] = {"@id": f"mailto:{_get(contact, 'email')}"}
            if _get(contact, "phone"):
                cp["vcard:hasTelephone"] = {"@id": f"tel:{_get(contact, 'phone')}"}
        out["dcat:contactPoint"] = cp
    if landing_page:
        out["dcat:landingPage"] = {"@id": landing_page}
    return out
