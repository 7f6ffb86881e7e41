"""Sign-in through the tenant's directory: OpenID Connect providers and LDAP servers.

A tenant registers identity providers (``/api/v1/identity-providers``) and a mapping from
directory groups to akte roles and org units. At every directory login the mapping is
applied to the person's akte account (created on first login, no password stored); a change
of the mapping is applied at once to everyone who signed in through that provider, from the
groups they brought at their last login. See ``docs/ARCHITECTURE.md`` ("Single sign-on").
"""
