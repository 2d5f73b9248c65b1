"""provision-cycle: a workflow and approval engine for the public-sector provision cycle.

Importing the package does nothing. The web application is ``provision_cycle.app:create_app``; the core
(``provision_cycle.core.build_core``) runs without Flask.
"""
