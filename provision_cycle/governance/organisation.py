"""Authorities, pillars, categories and roles, loaded from ``config/organisation.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..config_files import Node, Problems
from ..wording import listed

JOINT = "JOINT"
# Roles every organisation must define: who may start a request, and who runs the system for a council.
REQUESTER = "requester"
ADMINISTRATOR = "administrator"
# Roles that answer for the cycle as a whole: they see the overview and publish the council's statutory files.
FINANCE_OFFICER = "s151_officer"  # responsible for a council's finances: approves its payments compliance notice
HEAD_OF_CATEGORY = "head_of_category"  # leads a pillar's category team: what its people escalate goes to them
OVERSIGHT_ROLES = (ADMINISTRATOR, "intelligence_analyst", HEAD_OF_CATEGORY, "director", FINANCE_OFFICER)
MONITORING_OFFICER = "monitoring_officer"  # answers for the lawfulness of a council's decisions


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    short_name: str
    governance_file: str
    # Where a below-threshold competition of the council's may be reserved to suppliers based, beside the UK (the
    # Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026): the county (or London
    # borough) it is in, or is; its own area, where that is not the whole county (a district's); and that area
    # with the counties and London boroughs bordering it. Empty: not given, and not offered.
    county: str = ""
    area: str = ""
    bordering: tuple[str, ...] = ()

    @property
    def local_area(self) -> str:
        """The council's own area: the county, for a council whose area it is."""
        return self.area or self.county


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    pillar: str


@dataclass(frozen=True)
class Pillar:
    code: str
    name: str
    categories: tuple[Category, ...]


@dataclass(frozen=True)
class Service:
    """The service as its users meet it: its name (every page, email and calendar), who runs it, where to
    report a problem with it (the accessibility statement gives it) and the council's privacy notice for it
    (the footer links to it); None where the council has not said."""

    name: str
    run_by: str
    contact_email: str | None = None
    privacy_notice_url: str | None = None


DEFAULT_SERVICE = Service("Procurement and contract management", "the council's procurement team")


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    rank: int
    pillar_scoped: bool


@dataclass(frozen=True)
class Organisation:
    authorities: dict[str, Authority]
    joint_name: str
    pillars: dict[str, Pillar]
    categories: dict[str, Category]
    roles: dict[str, Role]
    service: Service = DEFAULT_SERVICE

    @property
    def councils(self) -> str:
        """The councils the service is for, as a sentence names them ("A, B and C")."""
        return listed([authority.name for authority in self.authorities.values()])

    def authorities_of(self, case_authority: str) -> tuple[str, ...]:
        """The authorities whose governance a case passes: both for a joint case."""
        return tuple(self.authorities) if case_authority == JOINT else (case_authority,)

    def counties_of(self, case_authority: str) -> tuple[str, ...]:
        """The counties a case's councils are in (one, for two councils in the same county), as configured."""
        counties = (self.authorities[code].county for code in self.authorities_of(case_authority))
        return tuple(dict.fromkeys(county for county in counties if county))

    def local_areas_of(self, case_authority: str) -> tuple[str, ...]:
        """The places a case's below-threshold competition may be reserved to, beside the UK, in words (the
        2026 Order's "local area"): the county its councils are in (``counties_of``); their own areas, where
        not the whole county; and their areas with the counties and London boroughs bordering them, where
        configured ("Oxfordshire or an area bordering it (Berkshire, ... or Wiltshire)"). A joint case's area
        is its councils' areas combined: a district's is left out where its county is another's area."""
        councils = [self.authorities[code] for code in self.authorities_of(case_authority)]
        whole = {council.local_area for council in councils if council.local_area}
        areas = list(
            dict.fromkeys(
                council.local_area
                for council in councils
                if council.local_area and (council.county == council.local_area or council.county not in whole)
            )
        )
        bordering = [place for place in dict.fromkeys(p for c in councils for p in c.bordering) if place not in areas]
        wider = (
            [f"{listed(areas)} or an area bordering {'it' if len(areas) == 1 else 'them'} ({listed(bordering, 'or')})"]
            if areas and bordering
            else []
        )
        return tuple(dict.fromkeys([*self.counties_of(case_authority), *areas, *wider]))

    def authority_name(self, code: str) -> str:
        return self.joint_name if code == JOINT else self.authorities[code].name

    def role_name(self, role: str) -> str:
        """A role's name ("Head of Category"); its code for one no longer configured (an old step's)."""
        return self.roles[role].name if role in self.roles else role

    def role_for(self, role: str, authority: str, pillar: str | None) -> str:
        """A role where it is needed, in words: "Head of Category for OCC, Corporate and Commercial"."""
        return f"{self.role_name(role)} for {authority}" + (f", {self.pillars[pillar].name}" if pillar else "")

    def role_held(self, role: str, authority: str, pillar: str | None) -> str:
        """A role as held, in words: "Category Officer (Oxfordshire County Council, Corporate and Commercial)"."""
        where = ", ".join(filter(None, [self.authority_name(authority), self.pillars[pillar].name if pillar else ""]))
        return f"{self.role_name(role)} ({where})"

    def authority_spellings(self, *, joint: bool = True) -> dict[str, str]:
        """Each way a person may write a council (its code, name or short name), and with ``joint`` the
        councils jointly (JOINT or the joint name), to its code. Compare them as typed text is compared."""
        spellings = {
            spelling: code for code, a in self.authorities.items() for spelling in (code, a.name, a.short_name)
        }
        return spellings | ({JOINT: JOINT, self.joint_name: JOINT} if joint else {})

    def is_authority_choice(self, code: str) -> bool:
        return code == JOINT or code in self.authorities

    @property
    def pillar_choices(self) -> list[tuple[str, str]]:
        """(code, name) of each pillar, in configuration order."""
        return [(code, pillar.name) for code, pillar in self.pillars.items()]

    @property
    def category_choices(self) -> list[tuple[str, str]]:
        """(code, "Pillar: Category") of each category, pillar by pillar, in configuration order."""
        return [(c.code, f"{pillar.name}: {c.name}") for pillar in self.pillars.values() for c in pillar.categories]

    @property
    def council_choices(self) -> list[tuple[str, str]]:
        """(code, name) of each council."""
        return [(code, authority.name) for code, authority in self.authorities.items()]

    @property
    def authority_choices(self) -> list[tuple[str, str]]:
        """What a case or contract may belong to: each council, then the councils jointly."""
        return [*self.council_choices, (JOINT, self.joint_name)]


def load_organisation(config_dir: Path, problems: Problems) -> Organisation:
    root = Node.load(config_dir / "organisation.yaml", problems, root=config_dir.parent)
    authorities: dict[str, Authority] = {}
    pillars: dict[str, Pillar] = {}
    categories: dict[str, Category] = {}
    roles: dict[str, Role] = {}
    joint_name = "Joint"
    if root is None or not root.is_mapping():
        return Organisation(authorities, joint_name, pillars, categories, roles)

    root.reject_unknown("service", "authorities", "joint", "pillars", "roles")
    service = _service(root.get("service", {}))

    for node in root.get("authorities").items():
        node.reject_unknown("code", "name", "short_name", "governance", "county", "area", "bordering")
        code = node.text("code")
        if code in authorities or code == JOINT:
            node.error(f"authority code '{code}' is used twice (or clashes with the joint code)")
            continue
        authorities[code] = Authority(
            code,
            node.text("name"),
            node.text("short_name", code),
            node.text("governance"),
            county=node.text("county", ""),
            area=node.text("area", ""),
            bordering=tuple(node.text_list("bordering", [])),
        )
        if authorities[code].bordering and not authorities[code].local_area:
            node.get("bordering").error("name the council's own area (area, or county) that these border")
        if any(not place.strip() for place in authorities[code].bordering):
            node.get("bordering").error("each bordering county or London borough needs its name")
    if not authorities:
        root.error("at least one authority is required")

    joint = root.get("joint", {})
    if joint.value:
        joint_name = joint.text("name", "Joint")

    for node in root.get("pillars").items():
        node.reject_unknown("code", "name", "categories")
        code = node.text("code")
        if code in pillars:
            node.error(f"pillar code '{code}' is used twice")
            continue
        members = []
        for cat_node in node.get("categories").items():
            cat_node.reject_unknown("code", "name")
            cat = Category(cat_node.text("code"), cat_node.text("name"), code)
            if cat.code in categories:
                cat_node.error(f"category code '{cat.code}' is used twice")
                continue
            categories[cat.code] = cat
            members.append(cat)
        if not members:
            node.error("a pillar needs at least one category")
        pillars[code] = Pillar(code, node.text("name"), tuple(members))

    for node in root.get("roles").items():
        node.reject_unknown("code", "name", "rank", "scope")
        code = node.text("code")
        scope = node.text("scope", "authority")
        if scope not in ("authority", "pillar"):
            node.get("scope").error(f"expected 'authority' or 'pillar', found {scope!r}")
        if code in roles:
            node.error(f"role code '{code}' is used twice")
            continue
        roles[code] = Role(code, node.text("name"), node.integer("rank", 0, minimum=0), scope == "pillar")
    for required in (REQUESTER, ADMINISTRATOR):
        if required not in roles:
            root.get("roles").error(f"the '{required}' role is required")

    return Organisation(authorities, joint_name, pillars, categories, roles, service)


def _service(node: Node) -> Service:
    if not node.value:
        return DEFAULT_SERVICE
    node.reject_unknown("name", "run_by", "contact_email", "privacy_notice_url")
    email = node.text("contact_email", None)
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        node.get("contact_email").error(f"expected an email address, found {email!r}")
        email = None
    privacy = node.text("privacy_notice_url", None)
    if privacy is not None and not re.fullmatch(r"https://[^\s/]+\.[^\s]+", privacy):
        node.get("privacy_notice_url").error(f"expected an https:// address, found {privacy!r}")
        privacy = None
    name, run_by = node.text("name", DEFAULT_SERVICE.name), node.text("run_by", DEFAULT_SERVICE.run_by)
    return Service(name, run_by, email, privacy)
