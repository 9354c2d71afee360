"""The shapes of taint models: sources, sinks, sanitizers. Built-in models (catalog.py) and the
user's own (configuration) have the same shape; the engine reads them as data.

Names are qualified names as `Module.qualname` computes them: `flask.request.args`,
`subprocess.run`, `sqlite3.connect().cursor().execute`. A name that starts with `*.` matches a
method of that name on any receiver (`*.execute`)."""

from __future__ import annotations

from dataclasses import dataclass

from distrust.model import Confidence

ALL_KINDS = "*"


@dataclass(frozen=True)
class Source:
    """Data an attacker controls. `name` matches an attribute chain or a call by prefix:
    `flask.request` covers `flask.request.args.get(...)`. `call=True` means only a call of the
    name produces tainted data (`input()`); otherwise reading the attribute does.
    `items=True` makes only the items of a mapping tainted (`os.environ["HOME"]`), not the
    mapping itself (`env=os.environ` passes it on without reading it). `only` limits the sink
    kinds the data is dangerous for (an environment variable naming a folder is configuration;
    one run as a command is not)."""

    name: str
    label: str
    confidence: Confidence = Confidence.HIGH
    call: bool = False
    exclude: tuple[str, ...] = ()
    items: bool = False
    only: frozenset[str] | None = None


@dataclass(frozen=True)
class Sink:
    """A call where tainted data of kind `kind` is dangerous. `args` are the positional indexes
    and `keywords` the keyword names that are dangerous (`*`: every keyword, as in
    `template.render(name=...)`). `program=True` means a list argument is
    dangerous only in its first item (the program to run). `when_keyword` makes the sink
    conditional on a keyword argument being truthy (`shell=True`); `unless_keyword` disarms it
    when a keyword is present with a safe value (`Loader=SafeLoader`, `weights_only=True`).
    `receiver=True` makes a tainted receiver dangerous (`Path(user).read_text()`).
    `content_type` names the keywords that set a response's media type: a constant one without
    `html` in it disarms the sink (`content_type="application/json"`); with none given the
    sink is armed when `html_by_default`."""

    name: str
    kind: str
    args: tuple[int, ...] = (0,)
    keywords: tuple[str, ...] = ()
    program: bool = False
    when_keyword: str | None = None
    unless_keyword: tuple[tuple[str, tuple[str, ...]], ...] = ()
    receiver: bool = False
    when_arg_type: tuple[int, str, str] | None = None
    content_type: tuple[str, ...] = ()
    html_by_default: bool = True


@dataclass(frozen=True)
class Sanitizer:
    """A call whose result is safe for the sink kinds in `kinds` (`*` for all). A `predicate`
    instead answers yes or no (`url_has_allowed_host_and_scheme(url, hosts)`): where it said
    yes, its arguments are safe for `kinds`."""

    name: str
    kinds: frozenset[str]
    arg: int | None = None
    predicate: bool = False


@dataclass(frozen=True)
class Spec:
    sources: tuple[Source, ...]
    sinks: tuple[Sink, ...]
    sanitizers: tuple[Sanitizer, ...]
    request_attributes: frozenset[str]
    request_names: frozenset[str]
    request_types: frozenset[str]
    host_bound: frozenset[str] = frozenset()

    def extended(
        self,
        sources: tuple[Source, ...] = (),
        sinks: tuple[Sink, ...] = (),
        sanitizers: tuple[Sanitizer, ...] = (),
    ) -> Spec:
        return Spec(
            self.sources + sources,
            self.sinks + sinks,
            self.sanitizers + sanitizers,
            self.request_attributes,
            self.request_names,
            self.request_types,
            self.host_bound,
        )
