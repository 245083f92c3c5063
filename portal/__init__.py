"""The local CKAN 2.12 portal (no Solr): ``portal.manager`` (up/down/status/reset/read_token),
``portal.config.PortalConfig``, the ``ckan.ini`` template, and our CKAN extension
``portal/ckanext-kaifang`` (installed into the portal's own venv; this package never imports CKAN)."""
