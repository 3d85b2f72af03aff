"""Where the battery's datasets come from: a local copy (``--data-dir`` / ``BASTION_EVAL_DATA_DIR``) or the
public upstream, each file pinned by SHA-256 and verified before use. Nothing is committed to this repository.

Local layout (the upstream folder names): ``<dir>/sven/{train,val}/cwe-XXX.jsonl`` and
``<dir>/cyberseceval/{instruct,autocomplete,interpreter,mitre_frr,prompt_injection}.json``.
Downloads are cached under ``$BASTION_DATA_DIR/eval-data`` (verified again on every read).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bastion.core.config import Settings
from bastion.core.files import private_dir, write_atomic
from bastion.evals.errors import DatasetIntegrityError, DatasetUnavailable

ENV_DATA_DIR = "BASTION_EVAL_DATA_DIR"
SVEN_COMMIT = "5139e0921800d8c3f9bb892025cdb84c2049b5f9"
_SVEN_BASE = f"https://raw.githubusercontent.com/eth-sri/sven/{SVEN_COMMIT}/data_train_val"
_CSE_BASE = "https://raw.githubusercontent.com/meta-llama/PurpleLlama/main/CybersecurityBenchmarks/datasets"


@dataclass(frozen=True, slots=True)
class DataFile:
    """One pinned dataset file: its path in a local copy, its public URL and its SHA-256."""

    path: str
    url: str
    sha256: str


def _cse(name: str, sha: str) -> DataFile:
    return DataFile(f"cyberseceval/{name}.json", f"{_CSE_BASE}/{name}/{name}.json", sha)


def _sven(split: str, cwe: str, sha: str) -> DataFile:
    return DataFile(f"sven/{split}/cwe-{cwe}.jsonl", f"{_SVEN_BASE}/{split}/cwe-{cwe}.jsonl", sha)


CYBERSECEVAL = {
    "instruct": _cse("instruct", "8913f770ccd50921ba5a4e94e504b224dbeeb39afc6618a3e9bf941a8eafbe3e"),
    "autocomplete": _cse("autocomplete", "be065f92dbc74c882fe90b7abbeccfbba1ee39d79916cd0ff3387015e06e1bec"),
    "interpreter": _cse("interpreter", "1d3e7cd4dd94a436d96b6e689c13e4f3edf5418d680d0b485a3ea8bf4664840c"),
    "mitre_frr": _cse("mitre_frr", "7a9b400bdf5ddbb36d5e7c3e8f6b5adb5d13125b8d03be66fd252a0f20b79d15"),
    "prompt_injection": _cse("prompt_injection", "069e4d5d36f6d19f972a3bbc65df840cc729354f89358a9031aeb44d95b18a9a"),
}

_SVEN_SHA = {
    "train": {
        "022": "273ebfa9847f35a590bbef0623d01c8cf5e60b050a9e9a7244b36cedf2035e17",
        "078": "07419b7027f1f287cbd9cb2f545182bf5793122167ec8fd24a33a2ff6264c8e8",
        "079": "114195fdbdd0c465d36abcfeb7e74e8d6be81b57aa1d4815d8407b389eb2ec4a",
        "089": "b47eb0e24035c3cbb5d38a14d1a757cd783827e3c2ecf067f52d0413d46fb09f",
        "125": "75e563681b5fc776feaf61ce2f287985b06a4c9fa005e3f677193500e98e2511",
        "190": "1df9295c121ecf48a1e9a2c3d774d3d02acb4d6b7675a8afa4c21ca38dfb10cf",
        "416": "b0297b4aacc27fe9c8aac1bf34622bd7dd272361a0ba28bb155badec67a4a07d",
        "476": "1cae9ff30385143aeaa7a97e269d69d0f488b09dd58f4efe8473e86034ae07b9",
        "787": "98c9862ab81cc2e327cbe8d087078aed7f4d3f2e8b9fa2dfa4fc2e50d7b52483",
    },
    "val": {
        "022": "bdbe2ba66b09ad1294b5e4ae7a9a6db79df590d535ff61989459bbf00ff908e9",
        "078": "4047f5c513a00e0a846e3c8b50d9c4073ad5fe7da4ce6295ae39ac8a0531efe2",
        "079": "4f5cbd578451bf83391703739df3de456e83a63f53e93a895a731d14c3c51021",
        "089": "5dc8065ac97dd60ef14f93ac2f37d634e876f237529b4355ce53313b47c175ba",
        "125": "d094880af58236a3bcfbbff4a99733bb48d25eea3666088a96d080f8d9b08522",
        "190": "6d18ad3bc4fcd85c2bb69b2043e87177ce73eb36c8d44f906d575dd1ef750fbe",
        "416": "4bbd5269917302141c93e77a81b5236b9384890bcd386986bf0c60bd86721aa6",
        "476": "47ed0a92dce6aad6a0f7db6051465a8d3aac04832be9012befb3ff1f16fdbe34",
        "787": "8b4fa4d0bc1d7b744ac0396a7a42cca6b6cb09b3e06f8ba69d7eae2f5fd7b298",
    },
}

SVEN = {(split, cwe): _sven(split, cwe, sha) for split, files in _SVEN_SHA.items() for cwe, sha in files.items()}
ALL_FILES: tuple[DataFile, ...] = (*CYBERSECEVAL.values(), *SVEN.values())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verified(data: bytes, spec: DataFile, origin: str) -> bytes:
    actual = _sha256(data)
    if actual != spec.sha256:
        raise DatasetIntegrityError(
            f"{spec.path} from {origin} has SHA-256 {actual}, expected {spec.sha256}",
            hint="the copy is damaged or from a different upstream version; replace it with the pinned file",
            details={"path": spec.path, "origin": origin, "expected": spec.sha256, "actual": actual},
        )
    return data


@dataclass(frozen=True, slots=True)
class DataSource:
    """Where to read dataset files from. ``local`` wins; otherwise ``cache`` + download from upstream."""

    local: Path | None = None
    cache: Path | None = None
    download: bool = True

    @classmethod
    def from_environment(cls, data_dir: str | Path | None = None) -> DataSource:
        """``data_dir`` (a task parameter / ``--data-dir``), else ``$BASTION_EVAL_DATA_DIR``, else upstream
        with a cache in ``<data_dir>/eval-data`` (``BASTION_DATA_DIR``)."""
        chosen = data_dir or os.environ.get(ENV_DATA_DIR)
        cache = Settings().data_dir / "eval-data"  # tasks also run under plain `inspect eval`: no Runtime here
        return cls(local=Path(chosen) if chosen else None, cache=cache)

    def read(self, spec: DataFile) -> bytes:
        if self.local is not None:
            path = self.local / spec.path
            if not path.is_file():
                raise DatasetUnavailable(
                    f"dataset file {spec.path} not found in {self.local}",
                    hint=f"point --data-dir / {ENV_DATA_DIR} at a copy with the upstream layout "
                    "(sven/..., cyberseceval/...), or unset it to download from upstream",
                    details={"path": str(path)},
                )
            return _verified(path.read_bytes(), spec, str(path))
        cached = self.cache / spec.path if self.cache else None
        if cached is not None and cached.is_file():
            return _verified(cached.read_bytes(), spec, str(cached))
        if not self.download:
            raise DatasetUnavailable(f"dataset file {spec.path} is not cached and downloads are disabled")
        data = _verified(_download(spec), spec, spec.url)
        if cached is not None:
            write_atomic(private_dir(cached.parent) / cached.name, data)
        return data

    def json(self, spec: DataFile) -> Any:
        return json.loads(self.read(spec))

    def jsonl(self, spec: DataFile) -> list[dict[str, Any]]:
        lines = self.read(spec).decode("utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def _download(spec: DataFile) -> bytes:
    import httpx

    try:
        response = httpx.get(spec.url, follow_redirects=True, timeout=60.0)
        response.raise_for_status()
    except httpx.HTTPError as e:
        raise DatasetUnavailable(
            f"cannot download {spec.path} from {spec.url}: {e}",
            hint=f"without internet, pass --data-dir (or set {ENV_DATA_DIR}) to a local copy of the datasets",
            details={"url": spec.url},
        ) from e
    return response.content
