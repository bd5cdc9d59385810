"""Identity and access: logins, bearer tokens, partner API keys, onboarding, real-name
facts and the identity audit log (``model`` pure rules, ``passwords`` hashing,
``commands``, ``service``, ``sql``). It registers no operation type: onboarding writes
the registry's own ``open_account`` entry, with the login and facts beside it."""
