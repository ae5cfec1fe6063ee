"""The deparse stage: PostgreSQL's ruleutils.c, stored expressions and queries analysed and printed back as PostgreSQL prints them."""
