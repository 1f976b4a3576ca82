#!/usr/bin/env python3
"""Makes pkg/ an npm package: writes pkg/package.json and pkg/README.md from their templates
in web/npm/, with the version, license, repository and homepage of the workspace's Cargo.toml
([workspace.package]), so that the package and the crates never disagree.

    npm_package.py --out pkg

tests/e2e/npm-package.test.mjs packs it, installs the tarball and imports it.
"""

import argparse
import json
import os
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the wasm-bindgen output directory (pkg/)")
    args = parser.parse_args()
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        workspace = tomllib.load(f)["workspace"]["package"]
    with open(os.path.join(ROOT, "web/npm/package.json"), encoding="utf-8") as f:
        package = json.load(f)
    package["version"] = workspace["version"]
    package["license"] = workspace["license"]
    package["repository"] = {"type": "git", "url": f"git+{workspace['repository']}.git"}
    package["homepage"] = workspace.get("homepage", workspace["repository"])
    # The fields in the order npm writes them.
    order = ["name", "version", "description", "keywords", "license", "repository", "homepage"]
    package = {**{k: package[k] for k in order}, **package}
    for path in package["files"]:
        if not os.path.isfile(os.path.join(args.out, path)):
            sys.exit(f"npm_package.py: {args.out}/{path} is missing (package.json lists it)")
    with open(os.path.join(args.out, "package.json"), "w", encoding="utf-8") as f:
        json.dump(package, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(ROOT, "web/npm/README.md"), encoding="utf-8") as f:
        readme = f.read()
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme.replace("{{version}}", workspace["version"]))


if __name__ == "__main__":
    main()
