"""`colorkit data list|download`: the ukiyo-e prints of the manifest, where they are, fetching what is missing."""
from __future__ import annotations

from colorlib import data


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="list or download the ukiyo-e prints (each verified by sha256)",
                       description="list: where each print of the manifest is found (sha256 verified), or "
                                   "'missing'. download: fetch the missing ones (progress bar, retries, sha256 "
                                   f"checked) into ${data.DATA_ENV} if set, else the OS cache folder; offline "
                                   "it fails with one line naming the folder to fill by hand.")
    p.add_argument("action", choices=("list", "download"), help="list: where each print is found, or "
                   "missing (exit 0 either way); download: fetch the missing ones (exit 2 if one fails)")
    p.add_argument("--folder", default=None, help=f"a folder to look in first (then ${data.DATA_ENV}, the "
                   "download folder, ../shared/data/ukiyoe; default none)")


def run(args) -> int:
    """0 when done (list: always); a failed download raises a one-line ColorkitError (the CLI exits 2)."""
    found = data.status(args.folder)
    missing = [name for name, path in found.items() if path is None]
    if args.action == "list":
        width = max(map(len, found), default=0)
        for name, path in found.items():
            print(f"{name:{width}s}  {path or 'missing'}")
        print(f"{len(found) - len(missing)} of {len(found)} present; looked in: "
              f"{', '.join(data.search_folders(args.folder))}")
        if missing:
            print(f"{len(missing)} missing: `colorkit data download` fetches them into {data.download_folder()} "
                  f"(or put them there, or set {data.DATA_ENV}=FOLDER)")
        return 0
    if missing:
        print(f"downloading {len(missing)} of {len(found)} prints into {data.download_folder()}", flush=True)
        for i, name in enumerate(missing, 1):
            data.fetch(name)
            print(f"[{i}/{len(missing)}] {name}", flush=True)
    print(f"all {len(found)} prints present and verified (sha256)")
    return 0
