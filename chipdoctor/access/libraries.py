"""Can the loader find the libraries a stack's PyTorch extension needs when it is imported?

For each stack: the extension's own shared objects (loaded by path at import) and their
DT_NEEDED, followed the way the loader follows them, plus the libraries the stack's runtime
opens by name (stack.yaml `access:`). Where each one is found goes into an info finding; a missing
one becomes a finding that says why in the user's terms and how to fix it:

- only a build for another architecture is there (`library-wrong-arch`);
- it is in its provider's directories, which the environment does not search: the provider's
  environment script was not sourced (merged into the stack probe's own finding about it, such
  as `ascend.env-not-sourced`, or `library-not-found`);
- it is in an /etc/ld.so.conf directory but not in /etc/ld.so.cache (`ldconfig-needed`);
- in a container, the host directory that brings it was not mounted (`library-not-mounted`);
- its provider is installed without it, or not installed at all (`library-not-found`).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from chipdoctor.access.container import HOST, IMAGE, MISSING
from chipdoctor.access.context import AccessContext
from chipdoctor.access.data import Library, Provider, StackAccess, Volume
from chipdoctor.access.scripts import library_dirs
from chipdoctor.evidence.base import UnreadableError
from chipdoctor.i18n import T, join
from chipdoctor.loader.ldcache import LD_SO_CACHE, cache_flags
from chipdoctor.loader.search import LoaderSearch, Resolution, Walk
from chipdoctor.model import Severity

WRONG_ARCH = "wrong-arch"
NOT_SEARCHED = "not-searched"
STALE_CACHE = "stale-cache"
NOT_MOUNTED = "not-mounted"
INCOMPLETE = "incomplete"
NOT_INSTALLED = "not-installed"
UNKNOWN = "unknown"


@dataclass
class _Group:
    """Missing libraries that share one cause and one provider: one finding."""

    cause: str
    provider: Provider | None
    severity: Severity = Severity.WARNING
    names: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)  # located paths, rejected files, dirs
    loaders: list[str] = field(default_factory=list)  # pip packages that load them by name


def check_libraries(ctx: AccessContext, spec: StackAccess) -> set[str]:
    """Add the library findings of one stack; returns the host volumes a finding already names."""
    search = ctx.search
    if search is None or ctx.process is None:
        return set()
    installed = bool(spec.package) and ctx.has(spec.package)
    libraries = _wanted(ctx, spec, installed)
    roots = _extension_objects(ctx, spec) if installed else []
    search.preloaded = _torch_libraries(ctx)
    usable_roots = _check_roots(ctx, spec, roots)
    walk = search.walk(usable_roots, [lib.name for lib in libraries])
    _cache_error(ctx, spec, search)
    explained: set[str] = set()
    merged: dict[str, list[_Group]] = {}
    for group in _groups(ctx, spec, walk, libraries, installed):
        if group.cause == NOT_MOUNTED and group.provider is not None:
            explained.update(group.provider.host)
        target = _merge_target(ctx, group)
        if target:
            merged.setdefault(target, []).append(group)
        else:
            _report(ctx, spec, walk, group)
    for target, parts in merged.items():
        _merge(ctx, walk, target, parts)
    _found(ctx, spec, walk, [lib.name for lib in libraries], usable_roots)
    return explained


def _wanted(ctx: AccessContext, spec: StackAccess, installed: bool) -> list[Library]:
    """A library is looked for when something needs it or its provider is installed."""
    return [
        lib
        for lib in spec.libraries
        if (not lib.when or any(ctx.has(name) for name in lib.when))
        and (
            (installed and not lib.needed_by)
            or any(ctx.has(name) for name in lib.needed_by)
            or ctx.has(spec.providers[lib.provider].installed)
        )
    ]


def _groups(
    ctx: AccessContext, spec: StackAccess, walk: Walk, libraries: list[Library], installed: bool
) -> list[_Group]:
    """The missing libraries, one group per cause and provider, each as severe as its worst."""
    built = not spec.build_fact or spec.build_fact in ctx.inventory.facts
    named = {lib.name: lib for lib in libraries}
    groups: dict[tuple[str, str], _Group] = {}
    for resolution in walk.missing():
        library = named.get(resolution.name)
        if library is not None and library.needed_by:
            needed = any(ctx.has(name) for name in library.needed_by)
        else:
            needed = installed and built
        provider = spec.providers.get(library.provider) if library else None
        cause, provider, detail = _diagnose(ctx, spec, resolution, provider)
        group = groups.setdefault(
            (cause, provider.name if provider else ""), _Group(cause, provider)
        )
        group.names.append(resolution.name)
        group.detail.extend(detail)
        if library is not None:
            group.loaders += [p for p in library.needed_by if ctx.has(p) and p not in group.loaders]
        if needed:
            group.severity = Severity.ERROR
    return list(groups.values())


def _merge(ctx: AccessContext, walk: Walk, target: str, parts: list[_Group]) -> None:
    """Name the libraries in the probe finding that already reports their cause."""
    names = [name for group in parts for name in group.names]
    places = [path for group in parts for path in group.detail]
    loaders = [p for group in parts for p in group.loaders]
    worst = max((group.severity for group in parts), key=lambda s: s.rank)
    params = {
        "names": ", ".join(names),
        "needed": _users(walk, names, loaders),
        "places": ", ".join(places),
    }
    ctx.merge(
        target,
        worst,
        T(
            "The dynamic loader cannot find {names}{needed}: it is in {places}, which "
            "nothing puts on the search path.",
            **params,
        )
        if len(names) == 1
        else T(
            "The dynamic loader cannot find {names}{needed}: they are in {places}, which "
            "nothing puts on the search path.",
            **params,
        ),
    )


def _cache_error(ctx: AccessContext, spec: StackAccess, search: LoaderSearch) -> None:
    """A cache the loader cannot use is ignored, not an error: say so, or it looks absent."""
    if search.cache is not None:
        return
    error = search.cache_error
    if error is None:
        return
    consequence = T(
        "A library only the cache lists (one in an /etc/ld.so.conf directory) is not found."
    )
    ctx.add(
        f"{spec.stack}.ld-cache-unreadable",
        Severity.WARNING,
        (),
        T(
            "The dynamic loader ignores {path}: it cannot be read ({reason}). {consequence}",
            path=LD_SO_CACHE,
            reason=error.reason,
            consequence=consequence,
        )
        if isinstance(error, UnreadableError)
        else T(
            "The dynamic loader ignores {path}: it is damaged ({reason}). {consequence}",
            path=LD_SO_CACHE,
            reason=str(error),
            consequence=consequence,
        ),
        T(
            "{command}   # in a Dockerfile: {dockerfile}",
            command="sudo ldconfig",
            dockerfile="RUN ldconfig",
        ),
    )


def _merge_target(ctx: AccessContext, group: _Group) -> str:
    """The probe finding that already reports this group's problem, if there is one."""
    if group.cause != NOT_SEARCHED or group.provider is None:
        return ""
    return next((t for t in group.provider.merge if ctx.finding(t) is not None), "")


def _users(walk: Walk, names: list[str], loaders: list[str]) -> str:
    """Who needs the libraries: the objects that list them, the packages that load them."""
    users = sorted({user for name in names for user in walk.needed_by.get(name, [])})
    parts: list[str] = [T("needed by {users}", users=", ".join(users))] if users else []
    if loaders:
        parts.append(T("loaded by {loaders} at import", loaders=", ".join(loaders)))
    return T(" ({parts})", parts=join(parts, "; ")) if parts else ""


def _extension_objects(ctx: AccessContext, spec: StackAccess) -> list[str]:
    """The extension's own objects in the first site directory that has any of them."""
    for site in ctx.evidence.python.paths:
        found: list[str] = []
        for pattern in spec.objects:
            directory, _, name = f"{site.rstrip('/')}/{pattern}".rpartition("/")
            if any(char in name for char in "*?["):
                try:
                    entries = ctx.evidence.list_dir(directory) or []
                except UnreadableError:
                    entries = []
                found += [f"{directory}/{e}" for e in sorted(entries) if fnmatch.fnmatch(e, name)]
            elif ctx.exists(f"{directory}/{name}"):
                found.append(f"{directory}/{name}")
        if found:
            return found
    if spec.objects and ctx.evidence.python.paths:
        version = ctx.evidence.python.package(spec.package) or ""
        ctx.add(
            f"{spec.stack}.extension-incomplete",
            Severity.WARNING,
            (),
            T(
                "{package} {version} is installed, but its {objects} is in none of {paths}: "
                "the install is incomplete.",
                package=spec.package,
                version=version,
                objects=", ".join(spec.objects),
                paths=", ".join(ctx.evidence.python.paths),
            ),
            f"pip install --force-reinstall --no-deps {spec.package}=={version}",
        )
    return []


def _torch_libraries(ctx: AccessContext) -> dict[str, str]:
    """The libraries `import torch` loads before any extension: those in torch/lib."""
    if not ctx.has("torch"):
        return {}
    for site in ctx.evidence.python.paths:
        directory = f"{site.rstrip('/')}/torch/lib"
        try:
            entries = ctx.evidence.list_dir(directory)
        except UnreadableError:
            continue
        if entries:
            return {name: f"{directory}/{name}" for name in entries if ".so" in name}
    return {}


def _check_roots(ctx: AccessContext, spec: StackAccess, roots: list[str]) -> list[str]:
    """The roots the loader could map; unreadable or foreign ones become findings."""
    usable = []
    assert ctx.process is not None
    for root in roots:
        try:
            info = ctx.evidence.elf(root)
        except UnreadableError as exc:
            ctx.add(
                f"{spec.stack}.extension-incomplete",
                Severity.ERROR,
                (),
                T("{root} cannot be loaded: {reason}.", root=root, reason=exc.reason),
                f"pip install --force-reinstall --no-deps {spec.package}",
            )
            continue
        if info is None:
            continue
        if not info.same_abi(ctx.process):
            ctx.add(
                f"{spec.stack}.library-wrong-arch",
                Severity.ERROR,
                (),
                T(
                    "{root} is {elf}, but this machine runs {arch} programs: {package} was "
                    "installed for another architecture, so importing it fails.",
                    root=root,
                    elf=info.describe(),
                    arch=ctx.process.arch,
                    package=spec.package,
                ),
                T(
                    "{command}   # on this machine, so pip picks the {arch} wheel",
                    command=f"pip install --force-reinstall --no-deps {spec.package}"
                    f"=={ctx.evidence.python.package(spec.package) or ''}",
                    arch=ctx.process.arch,
                ),
            )
            continue
        usable.append(root)
    return usable


def _provider_dirs(ctx: AccessContext, provider: Provider) -> list[str]:
    dirs = [d for d in (ctx.places.fill(t) for t in provider.dirs) if d]
    script = ctx.places.fill(provider.script) if provider.script else None
    if script:
        try:
            text = ctx.evidence.read_text(script)
        except UnreadableError:
            text = None
        if text:
            dirs += library_dirs(text)
    return list(dict.fromkeys(dirs))


def _diagnose(
    ctx: AccessContext, spec: StackAccess, resolution: Resolution, provider: Provider | None
) -> tuple[str, Provider | None, list[str]]:
    """Why a library is not found, the provider it belongs to, and the paths that show it."""
    assert ctx.search is not None and ctx.process is not None
    foreign = [f"{r.path} ({r.reason})" for r in resolution.rejected if r.elf is not None]
    cache = ctx.search.cache
    if cache is not None:
        # NOTE: the cache entry's flags say which ABI the library is for (`ldconfig -p` shows
        # them as `libc6,x86-64`, `libc6`, `libc6,AArch64`): the loader ignores foreign ones.
        wanted = cache_flags(ctx.process)
        foreign += [
            f"{e.path} (ld.so.cache: {e.describe()})"
            for e in cache.names(resolution.name)
            if e.flags not in wanted and f"{e.path} (" not in " ".join(foreign)
        ]
    if foreign:
        return WRONG_ARCH, provider, foreign
    # A directory /etc/ld.so.conf lists is searched through the cache: a library there that the
    # cache lacks needs `ldconfig`, not an environment variable.
    configured = ctx.search.find_in(resolution.name, ctx.search.conf_dirs)
    if configured:
        return STALE_CACHE, provider, configured
    candidates = [provider] if provider else []
    candidates += [p for p in spec.providers.values() if p is not provider]
    for candidate in candidates:
        located = ctx.search.find_in(resolution.name, _provider_dirs(ctx, candidate))
        if located:
            return NOT_SEARCHED, candidate, located
    return _absent(ctx, spec, resolution, provider)


def _absent(
    ctx: AccessContext, spec: StackAccess, resolution: Resolution, provider: Provider | None
) -> tuple[str, Provider | None, list[str]]:
    """Why a library found nowhere is absent: no known provider, not mounted, or not installed."""
    if provider is None:
        return UNKNOWN, None, list(resolution.searched)
    if ctx.container is not None and _unmounted(ctx, spec, provider):
        return NOT_MOUNTED, provider, []
    if ctx.has(provider.installed):
        return INCOMPLETE, provider, list(resolution.searched)
    return NOT_INSTALLED, provider, []


def _unmounted(ctx: AccessContext, spec: StackAccess, provider: Provider) -> bool:
    """In a container: the provider comes from the host, and nothing brought it in."""
    assert ctx.container is not None
    if provider.from_host:
        return True
    volume = _volume(spec, provider)
    if volume is None:
        return False
    return ctx.container.origin(volume.container, ctx.exists(volume.container)) == MISSING


def _volume(spec: StackAccess, provider: Provider) -> Volume | None:
    """The volume that holds the provider's libraries."""
    return next((v for v in spec.volumes if provider.host and v.host == provider.host[0]), None)


def _host_flag(spec: StackAccess, provider: Provider) -> str:
    """The `docker run` flags that bring the provider in from the host."""
    if provider.from_host:
        return spec.gpus
    return " ".join(v.flag() for v in spec.volumes if v.host in provider.host)


#: What one finding says: its id's suffix, the message and the fix.
_Explained = tuple[str, str, str]


def _report(ctx: AccessContext, spec: StackAccess, walk: Walk, group: _Group) -> None:
    """One finding for a group of missing libraries, in the words of its cause."""
    names = ", ".join(group.names)
    needed = _users(walk, group.names, group.loaders)
    if group.cause == WRONG_ARCH:
        explained = _wrong_arch(ctx, group, names, needed)
    elif group.cause == NOT_SEARCHED:
        explained = _not_searched(ctx, group, names, needed)
    elif group.cause == STALE_CACHE:
        explained = _stale_cache(group, names, needed)
    elif group.cause == NOT_MOUNTED and ctx.container is not None and ctx.container.running:
        explained = _not_mounted(ctx, spec, group, names, needed)
    elif group.cause == NOT_MOUNTED:
        explained = _host_lacks(spec, group, names, needed)
    else:
        explained = _not_found(group, names, needed)
    suffix, message, fix = explained
    components = (group.provider.installed,) if group.provider else ()
    ctx.add(f"{spec.stack}.{suffix}", group.severity, components, message, fix)


def _what(group: _Group) -> str:
    return group.provider.what if group.provider else ""


def _wrong_arch(ctx: AccessContext, group: _Group, names: str, needed: str) -> _Explained:
    arch = ctx.process.arch if ctx.process else T("this machine's")
    message = T(
        "The dynamic loader skips {rejected}: built for another architecture, so "
        "{names}{needed} cannot be loaded on this {arch} machine.",
        rejected="; ".join(group.detail),
        names=names,
        needed=needed,
        arch=arch,
    )
    fix = T(
        "Install the {arch} build of {what} (the *_linux-{arch} package).",
        arch=arch,
        what=_what(group) or names,
    )
    return "library-wrong-arch", message, fix


def _not_searched(ctx: AccessContext, group: _Group, names: str, needed: str) -> _Explained:
    assert group.provider is not None
    message = T(
        "The dynamic loader cannot find {names}{needed}: it is in {places}, which "
        "nothing puts on the search path. {What} is installed, but its environment is "
        "not set up.",
        names=names,
        needed=needed,
        places=", ".join(group.detail),
        What=_capital(_what(group)),
    )
    return "library-not-found", message, _setup_fix(ctx, group.provider, group.detail)


def _stale_cache(group: _Group, names: str, needed: str) -> _Explained:
    message = T(
        "The dynamic loader cannot find {names}{needed}: it is in {places}, a directory "
        "/etc/ld.so.conf lists, but /etc/ld.so.cache has no entry for it (ldconfig was "
        "not run after it was installed).",
        names=names,
        needed=needed,
        places=", ".join(group.detail),
    )
    fix = T(
        "{command}   # in a Dockerfile: {dockerfile}",
        command="sudo ldconfig",
        dockerfile="RUN ldconfig",
    )
    return "ldconfig-needed", message, fix


def _not_mounted(
    ctx: AccessContext, spec: StackAccess, group: _Group, names: str, needed: str
) -> _Explained:
    """In a running container: the host's provider was not brought in."""
    assert group.provider is not None and ctx.container is not None
    what = _what(group)
    volume = _volume(spec, group.provider)
    missing = T(" ({path} is missing)", path=volume.container) if volume is not None else ""
    message = T(
        "The dynamic loader cannot find {names}{needed}: this runs in {container}, and "
        "{what} is not mounted into it{missing}. {What} lives on the host and must come "
        "from it.",
        names=names,
        needed=needed,
        container=ctx.container.describe(),
        what=what,
        missing=missing,
        What=_capital(what),
    )
    fix = T("Start the container with {flags}", flags=_host_flag(spec, group.provider))
    return "library-not-mounted", message, fix


def _host_lacks(spec: StackAccess, group: _Group, names: str, needed: str) -> _Explained:
    """An image read at rest: its containers get the provider from a host that lacks it."""
    assert group.provider is not None
    message = T(
        "The dynamic loader cannot find {names}{needed}: a container of this image gets "
        "{what} from the host ({flags}), and this host does not have it.",
        names=names,
        needed=needed,
        what=_what(group),
        flags=_host_flag(spec, group.provider),
    )
    return "library-not-found", message, _capital(group.provider.install)


def _not_found(group: _Group, names: str, needed: str) -> _Explained:
    """The provider lacks it, is not installed, or is unknown."""
    what = _what(group)
    fix: str
    if group.cause == INCOMPLETE:
        reason = T(
            "{what} is installed but does not have it (searched: {places})",
            what=what,
            places=", ".join(group.detail),
        )
        fix = (
            T("Reinstall {what}: {install}", what=what, install=group.provider.install)
            if group.provider
            else ""
        )
    elif group.cause == NOT_INSTALLED:
        reason = T("{what} is not installed", what=what)
        fix = _capital(group.provider.install) if group.provider else ""
    else:
        reason = T(
            "it is in none of the directories the loader searches ({places})",
            places=", ".join(group.detail),
        )
        fix = T(
            "Install the package that provides {names}, or add its directory to LD_LIBRARY_PATH.",
            names=names,
        )
    message = T(
        "The dynamic loader cannot find {names}{needed}: {reason}.",
        names=names,
        needed=needed,
        reason=reason,
    )
    return "library-not-found", message, fix


def _capital(text: str) -> str:
    """Data text (stack.yaml `access:`) starting a sentence."""
    return text[0].upper() + text[1:] if text else text


def _setup_fix(ctx: AccessContext, provider: Provider, located: list[str]) -> str:
    script = ctx.places.fill(provider.script) if provider.script else None
    if script:
        return f"source {script}"
    setup = ctx.places.fill(provider.setup) if provider.setup else None
    if setup:
        return setup
    directories = ":".join(dict.fromkeys(path.rsplit("/", 1)[0] for path in located))
    return f"export LD_LIBRARY_PATH={directories}:$LD_LIBRARY_PATH"


def _found(
    ctx: AccessContext, spec: StackAccess, walk: Walk, named: list[str], roots: list[str]
) -> None:
    """One info finding: where each named library and each extension object is taken from."""
    lines: list[str] = []
    for name in named:
        resolution = walk.resolutions.get(name)
        if resolution is not None and resolution.path is not None:
            lines.append(
                T(
                    "{name} -> {path} ({origin})",
                    name=name,
                    path=resolution.path,
                    origin=_origin(ctx, resolution),
                )
            )
    for root in roots:
        deps = [walk.resolutions[n] for n, users in walk.needed_by.items() if root in users]
        found = sum(1 for resolution in deps if resolution.found)
        lines.append(
            T("{root}: {found} of {total} DT_NEEDED found", root=root, found=found, total=len(deps))
        )
    if lines:
        ctx.add(
            f"{spec.stack}.libraries",
            Severity.INFO,
            (),
            T(
                "Where the dynamic loader takes the stack's libraries from: {lines}.",
                lines=join(lines, "; "),
            ),
        )
    _image_driver(ctx, spec, walk, named)


def _origin(ctx: AccessContext, resolution: Resolution) -> str:
    where = resolution.where()
    if ctx.container is None or not ctx.container.running or resolution.path is None:
        return where
    origin = ctx.container.origin(resolution.path, True)
    if origin == HOST:
        return T("{where}, from the host", where=where)
    return T("{where}, from the image", where=where)


def _image_driver(ctx: AccessContext, spec: StackAccess, walk: Walk, named: list[str]) -> None:
    """In a container, driver libraries must come from the host: one from the image is stale."""
    if ctx.container is None or not ctx.container.running:
        return
    drivers = {lib.name: spec.providers[lib.provider] for lib in spec.libraries}
    for name in named:
        provider = drivers.get(name)
        resolution = walk.resolutions.get(name)
        if provider is None or resolution is None or not resolution.path:
            continue
        flag = _host_flag(spec, provider)
        if not flag or ctx.container.origin(resolution.path, True) != IMAGE:
            continue
        ctx.add(
            f"{spec.stack}.driver-in-image",
            Severity.WARNING,
            (provider.installed,),
            T(
                "{name} is taken from the container image ({path}), not from the host: {what}'s "
                "user-space libraries must match the host's kernel driver exactly, and an "
                "image's copy matches only the machine it was built on.",
                name=name,
                path=resolution.path,
                what=provider.what,
            ),
            T("Start the container with {flags} and remove the copy from the image.", flags=flag),
        )
