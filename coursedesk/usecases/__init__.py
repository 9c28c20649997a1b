"""Use cases: services that span domains (customers, mail, billing) and that the desk, the API and
operator commands share, so each rule is written once above the domains and below the interfaces."""
