"""Injection-class rules: taint rules, each a sink kind of the taint engine."""

from __future__ import annotations

from distrust.model import Confidence, Severity
from distrust.rules.rule import A01, A03, A04, A05, A08, A09, A10, Rule
from distrust.taint import catalog as k

H, M = Confidence.HIGH, Confidence.MEDIUM

RULES: tuple[Rule, ...] = (
    Rule("SQL001", "sql-injection", 89, A03, Severity.HIGH, H,
         "Untrusted data is built into the text of an SQL query", sink_kind=k.SQL),
    Rule("CMD001", "command-injection", 78, A03, Severity.CRITICAL, H,
         "Untrusted data reaches an operating-system command", sink_kind=k.SHELL),
    Rule("COD001", "code-injection", 94, A03, Severity.CRITICAL, H,
         "Untrusted data is evaluated as Python code", sink_kind=k.CODE),
    Rule("DES001", "unsafe-deserialization", 502, A08, Severity.CRITICAL, H,
         "Untrusted data is deserialized with a loader that can run code",
         sink_kind=k.DESERIALIZE),
    Rule("PATH001", "path-traversal", 22, A01, Severity.HIGH, H,
         "Untrusted data chooses a file path without a containment check", sink_kind=k.PATH),
    Rule("SSRF001", "server-side-request-forgery", 918, A10, Severity.HIGH, H,
         "Untrusted data chooses the URL or host of an outgoing request", sink_kind=k.URL),
    Rule("XSS001", "cross-site-scripting", 79, A03, Severity.HIGH, H,
         "Untrusted data reaches HTML output without escaping", sink_kind=k.HTML),
    Rule("RED001", "open-redirect", 601, A01, Severity.MEDIUM, H,
         "Untrusted data chooses the target of a redirect", sink_kind=k.REDIRECT),
    Rule("XXE001", "xml-external-entities", 611, A05, Severity.HIGH, M,
         "Untrusted XML is parsed by a parser that resolves external entities",
         sink_kind=k.XXE),
    Rule("LDAP001", "ldap-injection", 90, A03, Severity.HIGH, H,
         "Untrusted data is built into an LDAP filter or DN", sink_kind=k.LDAP),
    Rule("XPATH001", "xpath-injection", 643, A03, Severity.HIGH, H,
         "Untrusted data is built into an XPath expression", sink_kind=k.XPATH),
    Rule("HDR001", "header-injection", 113, A03, Severity.MEDIUM, M,
         "Untrusted data is written into an HTTP response header", sink_kind=k.HEADER),
    Rule("LOG001", "log-injection", 117, A09, Severity.LOW, M,
         "Untrusted data is written into a log line unescaped", sink_kind=k.LOG),
    Rule("TRUST001", "trust-boundary-violation", 501, A04, Severity.MEDIUM, M,
         "Untrusted data is stored in the session as if it were trusted",
         sink_kind=k.SESSION),
)
