"""CWE of each Ruff ``S`` (flake8-bandit) rule, written for the accuracy tables.

Ruff's JSON output carries no CWE, so the benchmark maps rule codes itself. The choice, rule by
rule: the CWE that Ruff's own documentation of the rule names (``ruff rule CODE``); where it names
several, the most specific one for what the rule detects; where it names none, the CWE that Bandit
reports for the check the Ruff rule re-implements. A code missing here counts as "no CWE" and can
never match a test case.
"""

from __future__ import annotations

RUFF_S_CWE: dict[str, int] = {
    "S101": 703,  # assert used (Bandit B101)
    "S102": 78,  # exec builtin (Ruff doc)
    "S103": 732,  # bad file permissions (Ruff doc)
    "S104": 200,  # bind to all interfaces (Ruff doc)
    "S105": 259,  # hard-coded password string (Ruff doc)
    "S106": 259,  # hard-coded password argument (Ruff doc)
    "S107": 259,  # hard-coded password default (Ruff doc)
    "S108": 377,  # hard-coded temporary file (Ruff doc: 377, 379)
    "S110": 703,  # try/except/pass (Ruff doc)
    "S112": 703,  # try/except/continue (Ruff doc)
    "S113": 400,  # request without timeout (Bandit B113)
    "S201": 94,  # Flask debug=True (Bandit B201)
    "S202": 22,  # tarfile extraction of unchecked members (Ruff doc)
    "S301": 502,  # pickle (Ruff doc)
    "S302": 502,  # marshal (Ruff doc)
    "S303": 328,  # insecure hash function (Ruff doc: 327, 328, 916; 328 is the weak-hash CWE)
    "S304": 327,  # insecure cipher (Ruff doc)
    "S305": 327,  # insecure cipher mode (Ruff doc)
    "S306": 377,  # tempfile.mktemp (Bandit B306)
    "S307": 78,  # eval (Bandit B307 reports CWE-78)
    "S308": 80,  # mark_safe (Ruff doc)
    "S310": 22,  # urlopen of arbitrary schemes (Bandit B310)
    "S311": 330,  # non-cryptographic random (Bandit B311)
    "S312": 319,  # telnetlib (Bandit B312)
    "S313": 776,  # xml.etree.cElementTree (Ruff doc: 400, 776)
    "S314": 776,  # xml.etree.ElementTree
    "S315": 776,  # xml.sax.expatreader
    "S316": 776,  # xml.dom.expatbuilder
    "S317": 776,  # xml.sax
    "S318": 776,  # xml.dom.minidom
    "S319": 776,  # xml.dom.pulldom
    "S320": 776,  # lxml.etree
    "S321": 319,  # ftplib (Bandit B321)
    "S323": 295,  # ssl._create_unverified_context (Bandit B323)
    "S324": 328,  # hashlib insecure hash (Ruff doc: 327, 328, 916)
    "S401": 319,  # telnetlib import (preview)
    "S402": 319,  # ftplib import (preview)
    "S403": 502,  # pickle import (preview)
    "S404": 78,  # subprocess import (preview)
    "S405": 20,  # xml.etree import (preview)
    "S406": 20,  # xml.sax import (preview)
    "S407": 20,  # xml.dom.expatbuilder import (preview)
    "S408": 20,  # xml.dom.minidom import (preview)
    "S409": 20,  # xml.dom.pulldom import (preview)
    "S410": 20,  # lxml import
    "S411": 20,  # xmlrpc import (preview)
    "S412": 284,  # httpoxy (preview)
    "S413": 327,  # pycrypto import (preview)
    "S415": 319,  # pyghmi import (preview)
    "S501": 295,  # requests with verify=False (Ruff doc)
    "S502": 327,  # insecure SSL/TLS version (Bandit B502)
    "S503": 327,  # SSL with bad defaults (Bandit B503)
    "S504": 327,  # SSL without a version (Bandit B504)
    "S505": 326,  # weak cryptographic key (Bandit B505)
    "S506": 20,  # yaml.load (Ruff doc)
    "S507": 295,  # SSH without host key verification (Bandit B507)
    "S508": 319,  # SNMP insecure version (Ruff doc)
    "S509": 319,  # SNMP weak cryptography (Ruff doc)
    "S601": 78,  # paramiko exec_command (Ruff doc)
    "S602": 78,  # subprocess with shell=True (Ruff doc)
    "S603": 78,  # subprocess without shell (Bandit B603)
    "S604": 78,  # any call with shell=True (Bandit B604)
    "S605": 78,  # process started with a shell (Bandit B605)
    "S606": 78,  # process started without a shell (Bandit B606)
    "S607": 426,  # process started with a partial path (Ruff doc)
    "S608": 89,  # SQL built from strings (Bandit B608)
    "S609": 78,  # Unix command wildcard injection (Ruff doc)
    "S610": 89,  # Django extra() (Ruff doc)
    "S611": 89,  # Django RawSQL (Ruff doc)
    "S612": 94,  # logging.config.listen (Bandit B612)
    "S701": 94,  # Jinja2 autoescape=False (Ruff doc)
    "S702": 80,  # Mako templates (Ruff doc)
    "S704": 79,  # Markup() of unsafe data (Bandit B704)
}
