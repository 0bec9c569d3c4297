"""The submission's modules under their bare names too: `import softmax` and `from activations import
sigmoid` (a flat layout, as the student ran it) give the very module objects `assignment.softmax` and
`assignment.activations` (the package the grader imports), so whatever the grader patches into one
(correct helpers, a correct predict) reaches code that imported either way.

Only the contract's module names are answered, and only at the top level: the submission's folder is
never put on sys.path, so no file of the student's can shadow numpy, the standard library or the
harness. Standard library only: the student kit copies this file.
"""

import importlib
import importlib.abc
import importlib.util
import sys


class ContractModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A meta-path finder and loader: the bare name `name` (one of names) is `package.name`, the same object."""

    def __init__(self, package, names):
        self.package = package  # e.g. "assignment"
        self.names = frozenset(names)  # e.g. {"activations", "softmax", ...}

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in self.names:  # a submodule, or a name the contract does not know
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        """The package's module itself (imported now if need be; its import error propagates)."""
        return importlib.import_module(f"{self.package}.{spec.name}")

    def exec_module(self, module):
        """Nothing: the module ran when the package imported it."""


def install(package, names):
    """Answer the bare names first, before any other finder (so a site-packages module of the same name
    cannot stand in for the student's). Returns the finder, for uninstall."""
    finder = ContractModules(package, names)
    sys.meta_path.insert(0, finder)
    return finder


def uninstall(finder):
    """Remove the finder and the bare-name entries it made (tests)."""
    sys.meta_path[:] = [f for f in sys.meta_path if f is not finder]
    for name in finder.names:
        if sys.modules.get(name) is sys.modules.get(f"{finder.package}.{name}", object()):
            del sys.modules[name]
