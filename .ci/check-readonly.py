#!/usr/bin/env python3
"""Prove from its syntax tree that a PowerShell script only reads the host.

usage: check-readonly.py SCRIPT.ps1

Parses the script with tree-sitter-powershell (the validators' venv) and fails when it calls a
command outside a list of read-only cmdlets, invokes anything through `&` or `.` (external
programs, script blocks from strings), calls a .NET method outside a list of read-only methods,
or redirects output to a file. Two commands are allowed only in one exact spelling each
(SCOPED): `secedit.exe /export /areas USER_RIGHTS SECURITYPOLICY` into `$securityFile`, and the `Remove-Item` of
that same file; `$securityFile` must be assigned once, from a new GUID under GetTempPath().
Exit 0 = read-only, 1 = not proven, 2 = usage or setup problem.
"""
import os
import sys

VENV = os.path.join(os.environ.get("RDPGEN_VALIDATORS_CACHE", os.path.expanduser("~/.cache/rdpgen-validators")), "venv")
try:
    import tree_sitter
    import tree_sitter_powershell
except ImportError:
    py = os.path.join(VENV, "bin", "python")
    if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(py, [py] + sys.argv)
    sys.exit("check-readonly: tree-sitter-powershell is missing (install.sh py)")

READ_ONLY_COMMANDS = {
    "get-item", "get-childitem", "get-ciminstance", "get-acl", "get-netconnectionprofile",
    "get-netfirewallrule", "get-netfirewallportfilter", "get-netfirewalladdressfilter",
    "get-netfirewallapplicationfilter", "get-netfirewallservicefilter", "get-netfirewallprofile",
    "get-nettcpconnection", "get-date", "convertto-json", "write-output", "where-object",
    "foreach-object", "select-object", "test-path", "join-path", "get-content",
}
# Commands allowed only as exactly this text (whitespace-normalised).
SCOPED = {
    "secedit.exe": "secedit.exe /export /areas USER_RIGHTS SECURITYPOLICY /cfg $securityFile /quiet",
    "remove-item": "Remove-Item -LiteralPath $securityFile -Force -ErrorAction SilentlyContinue",
}
RIGHTS_FILE = ("$securityFile = Join-Path -Path ([System.IO.Path]::GetTempPath()) -ChildPath "
               "('rdpgen-security-' + [guid]::NewGuid().ToString() + '.inf')")
READ_ONLY_METHODS = {
    "getvaluenames", "getvaluekind", "getvalue", "tostring", "touniversaltime", "toupperinvariant",
    "isnullorempty", "getrsapublickey", "getrsaprivatekey", "split", "trim", "gettemppath",
    "newguid", "tolowerinvariant",
}
FORBIDDEN_NODES = {"file_redirection_operator", "merging_redirection_operator", "command_invokation_operator"}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = open(sys.argv[1], "rb").read()
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    tree = parser.parse(source)
    problems = []
    commands = set()
    methods = set()

    def text(node):
        return source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    # Functions the script defines itself are allowed: their bodies are checked like the rest.
    defined = set()

    def collect(node):
        if node.type == "function_statement":
            for c in node.children:
                if c.type == "function_name":
                    defined.add(text(c).lower())
        for child in node.children:
            collect(child)

    collect(tree.root_node)

    def walk(node):
        line = node.start_point[0] + 1
        if node.type == "ERROR" or node.is_missing:
            problems.append(f"line {line}: syntax error")
        if node.type in FORBIDDEN_NODES:
            problems.append(f"line {line}: `{text(node)}` ({node.type}) is not allowed")
        if node.type == "command":
            names = [c for c in node.children if c.type == "command_name"]
            if not names:
                problems.append(f"line {line}: a command without a plain name: `{text(node)[:60]}`")
            for n in names:
                name = text(n).lower()
                commands.add(name)
                if name in SCOPED:
                    if " ".join(text(node).split()) != SCOPED[name]:
                        problems.append(f"line {line}: `{text(node)[:80]}` is not the one allowed use of {name}")
                elif name not in READ_ONLY_COMMANDS and name not in defined:
                    problems.append(f"line {line}: command `{text(n)}` is not on the read-only list")
        if node.type == "invokation_expression":
            for c in node.children:
                if c.type == "member_name":
                    name = text(c).lower()
                    methods.add(name)
                    if name not in READ_ONLY_METHODS:
                        problems.append(f"line {line}: method `{text(c)}` is not on the read-only list")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    # The one file the scoped commands touch: assigned once, a new name in the temp folder.
    if any(name in commands for name in SCOPED):
        src = source.decode("utf-8", "replace")
        assigned = [l.strip() for l in src.splitlines() if l.strip().startswith("$securityFile =")]
        if assigned != [RIGHTS_FILE]:
            problems.append(f"$securityFile must be assigned exactly once, as `{RIGHTS_FILE}`; found {assigned}")
    print(f"commands: {', '.join(sorted(commands))}")
    print(f"methods: {', '.join(sorted(methods))}")
    if problems:
        print("NOT READ-ONLY:")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"functions defined by the script: {', '.join(sorted(defined))}")
    print(f"read-only: {len(commands)} distinct commands and {len(methods)} methods, all on the read-only lists")


if __name__ == "__main__":
    main()
