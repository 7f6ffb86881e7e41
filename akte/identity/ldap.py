"""LDAP / Active Directory login: bind as the user over TLS, read their groups.

akte never stores or checks a directory password itself: the directory does, in the bind.
The connection is encrypted before the password is sent (``ldaps://`` or StartTLS, the
certificate verified against ``ca_file`` or the system's CAs); only ``allow_plaintext``
(a directory on the same host, tests) lifts that. The groups are read with the user's own
bind, so akte needs no service account in the directory.

Outcomes: wrong password → ``SsoRefused``; the server not reachable → ``ProviderUnavailable``
(503); TLS or the configured DNs do not work → ``ProviderMisconfigured`` (503).
"""

from __future__ import annotations

import contextlib
import ssl

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from akte.identity.errors import ProviderMisconfigured, ProviderUnavailable, SsoRefused
from akte.identity.login import DirectoryUser
from akte.identity.schemas import LdapConfig

INVALID_CREDENTIALS = 49
MAX_GROUPS = 500


def _server(config: LdapConfig) -> ldap3.Server:
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=config.ca_file or None,
        version=ssl.PROTOCOL_TLS_CLIENT,
    )
    return ldap3.Server(
        config.url,
        use_ssl=config.url.startswith("ldaps://"),
        tls=tls,
        connect_timeout=config.timeout_seconds,
        get_info=ldap3.NONE,
    )


def authenticate(config: LdapConfig, *, username: str, password: str) -> DirectoryUser:
    """Who ``username`` is in the directory, if ``password`` binds."""
    username = username.strip()
    if not username or not password or len(username) > 120 or not username.isprintable():
        # an empty password would be an "unauthenticated bind" that many servers accept
        raise SsoRefused("wrong username or password")
    user_dn = config.user_dn_template.format(username=escape_rdn(username))
    conn = ldap3.Connection(
        _server(config),
        user=user_dn,
        password=password,
        receive_timeout=config.timeout_seconds,
        read_only=True,
        auto_bind=ldap3.AUTO_BIND_NONE,
        raise_exceptions=False,
    )
    try:
        conn.open()
        if config.start_tls and not config.url.startswith("ldaps://"):
            conn.start_tls()
        if not conn.bind():
            if conn.result.get("result") == INVALID_CREDENTIALS:
                raise SsoRefused("wrong username or password")
            raise ProviderMisconfigured(
                f"the directory refused the bind ({conn.result.get('description')}): check "
                "the user DN template"
            )
        who = conn.extend.standard.who_am_i() or ""
        if isinstance(who, bytes):
            who = who.decode()
        if who.startswith("dn:"):
            user_dn = who[3:]
        if config.user_search_base:
            found = conn.search(
                config.user_search_base,
                config.user_search_filter.format(username=escape_filter_chars(username)),
                ldap3.SUBTREE,
                attributes=[],
                size_limit=2,
            )
            if not found or len(conn.entries) != 1:
                raise ProviderMisconfigured(
                    "the user was not found exactly once under "
                    "user_search_base: check base and filter"
                )
            user_dn = conn.entries[0].entry_dn
        display = username
        if (
            conn.search(
                user_dn, "(objectClass=*)", ldap3.BASE, attributes=[config.display_name_attribute]
            )
            and conn.entries
        ):
            value = conn.entries[0][config.display_name_attribute].value
            display = str(value[0] if isinstance(value, list) else value or username)
        group_filter = config.group_filter.format(user_dn=escape_filter_chars(user_dn))
        groups: list[str] = []
        if conn.search(
            config.group_base,
            group_filter,
            ldap3.SUBTREE,
            attributes=[config.group_name_attribute],
            size_limit=MAX_GROUPS,
        ):
            for entry in conn.entries:
                value = entry[config.group_name_attribute].value
                groups.extend(value if isinstance(value, list) else [value])
        elif conn.result.get("result") not in (0, 4, 32):  # ok, size limit, no such object
            raise ProviderMisconfigured(
                f"the group search failed ({conn.result.get('description')}): check group_base"
            )
        return DirectoryUser(
            subject=user_dn.lower(),
            username=username,
            display_name=display,
            groups=[str(g) for g in groups if g],
        )
    except (
        ldap_errors.LDAPSocketOpenError,
        ldap_errors.LDAPSocketReceiveError,
        ldap_errors.LDAPSessionTerminatedByServerError,
    ) as exc:
        raise ProviderUnavailable(
            f"the directory {config.url} cannot be reached ({type(exc).__name__})"
        ) from exc
    except (
        ldap_errors.LDAPStartTLSError,
        ldap_errors.LDAPSSLConfigurationError,
        ssl.SSLError,
    ) as exc:
        raise ProviderMisconfigured(
            f"TLS with the directory failed ({exc}): check the certificate and ca_file"
        ) from exc
    except ldap_errors.LDAPException as exc:
        raise ProviderMisconfigured(
            f"the directory answered unexpectedly ({type(exc).__name__})"
        ) from exc
    finally:
        with contextlib.suppress(ldap_errors.LDAPException):
            if not conn.closed:
                conn.unbind()
