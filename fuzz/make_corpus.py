#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/TARGET/) from real
files: the shared ground truth (golden vectors, fixture checkpoints), the
Qwen3 tokenizer and the repository's data and docs. Small by design (the
whole corpus stays well under 2 MB): big files are cut down (GGUF arrays
truncated and tensors shrunk to one block, the tokenizer's vocabulary to its
first ids). Run again only to regenerate: the fuzzers add what they find to
their own working corpora, not here.

usage: fuzz/make_corpus.py [SHARED_DIR] [TOKENIZER_DIR]
"""
import json
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared")
TOKDIR = Path(sys.argv[2] if len(sys.argv) > 2 else Path.home() / ".cache/qwen3/tokenizers/Qwen3")
OUT = ROOT / "fuzz" / "corpus"
FIXTURE = SHARED / "fixtures" / "tiny-qwen3-a"


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def ids3(ids):
    return b"".join(struct.pack("<I", i)[:3] for i in ids)


golden = json.loads((SHARED / "golden" / "tokenizer_vectors.json").read_text())["vectors"]
chat = json.loads((SHARED / "golden" / "chat_template_vectors.json").read_text())["vectors"]

# --- tokenizer_encode / tokenizer_decode / stream_decoder: golden texts and ids.
by_category = {}
for v in golden:
    by_category.setdefault(v["category"], []).append(v)
picked = [vs[i] for vs in by_category.values() for i in range(min(2, len(vs)))]
for n, v in enumerate(picked):
    text = v["text"].encode("utf-8", "surrogatepass")
    if len(text) > 2000:
        continue
    put("tokenizer_encode", f"{n:03d}_{v['category']}", bytes([2 * (n % 2)]) + text)
    put("tokenizer_decode", f"{n:03d}_{v['category']}", bytes([n % 2]) + ids3(v["ids"]))
    put("stream_decoder", f"{n:03d}_{v['category']}", bytes([n % 2]) + ids3(v["ids"]))
put("tokenizer_encode", "spans_special", b"\x07<|im_start|>user\nHi<|im_end|><think>x</think>")
put("tokenizer_encode", "invalid_utf8", b"\x00ab\xff\xc3(")
put("tokenizer_decode", "raw_ids", b"\x02" + struct.pack("<6i", 0, 151643, 151668, 151669, -1, 2**31 - 1))

# --- reasoning: replies with and without think blocks (ids), and the alphabet.
for n, v in enumerate(chat):
    if v.get("add_generation_prompt"):
        continue
    put("reasoning", f"chat_{n:02d}", bytes([2 + (n % 2)]) + ids3(v["ids"]))
    if n > 12:
        break
put("reasoning", "alphabet_think", bytes([0, 0, 6, 7, 8, 1, 6, 7, 9, 10, 2]))
put("reasoning", "alphabet_open", bytes([1, 8, 14, 15, 16, 1, 6, 17, 18, 2]))
put("reasoning", "alphabet_partial", bytes([0, 0, 18, 1, 19, 20, 12, 1, 21, 6, 22]))

# --- chat_request: the golden requests (messages, tools, flags).
for n, v in enumerate(chat):
    req = {k: v[k] for k in v.get("context_keys", []) if k in v}
    put("chat_request", f"{n:02d}_{v['name'][:40]}", json.dumps(req, ensure_ascii=False))

# --- ollama_manifest: manifests as `ollama pull` writes them (first byte 0),
# model names (1) and params blobs (2), over the store the target writes
# (blobs sha256-aaa... "GGUF", 4 bytes; sha256-bbb... params, 44 bytes;
# sha256-ccc... empty; sha256-ddd... a folder).
def layer(media, c, size=None):
    d = {"mediaType": "application/vnd.ollama.image." + media, "digest": "sha256:" + c * 64}
    if size is not None:
        d["size"] = size
    return d

manifests = {
    "pulled": {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
               "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                          "digest": "sha256:" + "e" * 64, "size": 487},
               "layers": [layer("model", "a", 4), layer("template", "e", 1723), layer("license", "f", 11338),
                          layer("params", "b", 44)]},
    "model_only": {"layers": [layer("model", "a")]},
    "wrong_size": {"layers": [layer("model", "a", 5)]},
    "folder_blob": {"layers": [layer("model", "d", 0)]},
    "no_model": {"layers": [layer("params", "b", 44)]},
    "two_models": {"layers": [layer("model", "a", 4), layer("model", "c", 0)]},
}
for name, m in manifests.items():
    put("ollama_manifest", "manifest_" + name, b"\x00" + json.dumps(m, indent=2).encode())
put("ollama_manifest", "manifest_bad_digest", b"\x00" + json.dumps({"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:A1"}]}).encode())
for n, name in enumerate(["qwen3", "qwen3:latest", "qwen3:4b", "someone/model:q8", "registry.ollama.ai/library/qwen3:latest",
                          "a/b/c/d", "qwen3:", "..:x"]):
    put("ollama_manifest", f"name_{n}", b"\x01" + name.encode())
put("ollama_manifest", "params_all", b"\x02" + json.dumps({
    "temperature": 0.6, "top_p": 0.95, "top_k": 20, "min_p": 0, "presence_penalty": 1.5, "frequency_penalty": 0.5,
    "repeat_penalty": 1.1, "seed": -1, "num_predict": 128, "stop": ["<|im_start|>", "<|im_end|>"], "num_ctx": 4096,
    "num_thread": 2, "mirostat": 0}, indent=2).encode())
put("ollama_manifest", "params_stop_string", b"\x02" + json.dumps({"stop": "END", "num_predict": -1}).encode())

# --- server_request: bodies of the four endpoints (first byte: 0 chat, 1 completion, 2 /api/chat, 3 /api/generate).
bodies = [
    (0, {"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "none", "temperature": 0.1,
         "top_k": -1, "seed": 5, "max_tokens": 7}),
    (0, {"model": "qwen3", "messages": [{"role": "developer", "content": "Be brief."},
         {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "/no_think"}]}],
         "stream": True, "stream_options": {"include_usage": True}, "logprobs": True, "top_logprobs": 3}),
    (0, {"messages": [{"role": "user", "content": "Weather?"}], "tools": [{"type": "function", "function": {
        "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
         "english_only": "latin", "thinking_budget": 12, "stop": ["\n\n", "END"], "logit_bias": {"9707": -100},
         "chat_template_kwargs": {"enable_thinking": False}, "presence_penalty": 0.5, "n": 1}),
    (0, {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "2"}], "max_completion_tokens": 3, "top_p": 0.5}),
    (1, {"prompt": "Once upon a time", "max_tokens": 5, "temperature": 0, "echo": False}),
    (1, {"prompt": [9707, 1879], "max_tokens": 2, "stop": "x", "seed": 1}),
    (2, {"model": "qwen3", "messages": [{"role": "user", "content": "Hi"}], "think": False, "stream": False,
         "options": {"temperature": 0.2, "num_predict": 4, "top_k": 5, "seed": 3, "stop": ["."]}}),
    (2, {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q /think"}], "think": True,
         "format": "json", "keep_alive": "5m"}),
    (3, {"model": "qwen3", "prompt": "Why is the sky blue?", "stream": False, "options": {"num_ctx": 256}}),
    (3, {"prompt": "x", "raw": True, "system": "s", "think": False}),
]
for n, (endpoint, body) in enumerate(bodies):
    put("server_request", f"{n:02d}", bytes([endpoint]) + json.dumps(body, ensure_ascii=False).encode())
put("server_request", "not_json", b"\x00{\"messages\": [")

# --- model_config / generation_config: every config in the tree and the fixtures.
configs = [FIXTURE / "config.json", SHARED / "fixtures" / "tiny-qwen3-q" / "config.json",
           SHARED / "qwen3-4b" / "config.json"] + sorted((ROOT / "data" / "models").glob("*/config.json"))
for n, p in enumerate(configs):
    put("model_config", f"{n:02d}_{p.parent.name}", p.read_bytes())
yarn = json.loads((SHARED / "qwen3-4b" / "config.json").read_text())
yarn["rope_scaling"] = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}
put("model_config", "yarn", json.dumps(yarn, indent=2))
gens = [FIXTURE / "generation_config.json", SHARED / "qwen3-4b" / "generation_config.json"] + \
    sorted((ROOT / "data" / "models").glob("*/generation_config.json"))
for n, p in enumerate(gens):
    put("generation_config", f"{n:02d}_{p.parent.name}", p.read_bytes())
put("generation_config", "greedy", json.dumps({"do_sample": False, "temperature": 1.0, "top_k": 0, "eos_token_id": [1, 2]}))

# --- settings_toml: the documented example and small variations.
doc = (ROOT / "docs" / "configuration.md").read_text()
start = doc.index("```toml\n") + len("```toml\n")
example = doc[start:doc.index("```", start)]
put("settings_toml", "documented_example", example)
put("settings_toml", "sampling", "[sampling.non_thinking]\ntemperature = 0.7\ntop_p = 0.8\ntop_k = 20\nseed = 42\n"
    "max_new_tokens = 100\n[sampling.thinking]\nrepetition_penalty = 1.1\n")
put("settings_toml", "lists", 'stop = ["\\n\\n", "END"]\nenglish_only = "ascii+emoji"\nthreads = 2\nctx = 512\n'
    "special_tokens_in_content = \"text\"\n")

# --- tokenizer_config: the real tokenizer_config.json (.json) and its template (.jinja).
tc = (TOKDIR / "tokenizer_config.json").read_bytes()
put("tokenizer_config", "qwen3_tokenizer_config", b"\x00" + tc)
put("tokenizer_config", "qwen3_chat_template", b"\x01" + json.loads(tc)["chat_template"].encode())
put("tokenizer_config", "no_template", b"\x00" + json.dumps({"model_max_length": 131072}).encode())

# --- tokenizer_json: Qwen3's tokenizer.json cut to its first ids (the
# byte alphabet and the first merges among them), all settings kept.
tok = json.loads((TOKDIR / "tokenizer.json").read_text())
for keep in (300, 1200):
    small = dict(tok)
    model = dict(tok["model"])
    vocab = {k: v for k, v in model["vocab"].items() if v < keep}
    merges = []
    for m in model["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(m)
    model["vocab"], model["merges"] = vocab, merges
    small["model"] = model
    small["added_tokens"] = [dict(t, id=keep + i) for i, t in enumerate(tok["added_tokens"][:8])]
    put("tokenizer_json", f"qwen3_first_{keep}", json.dumps(small, ensure_ascii=False))
    if keep == 300:
        small["normalizer"] = None
        small["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                  "use_regex": True}
        put("tokenizer_json", "bytelevel_no_nfc", json.dumps(small, ensure_ascii=False))

# --- safetensors: small files in the writer's layout, and the fixture's header.
def safetensors(tensors, pad=True, extra=b""):
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data + extra

put("safetensors", "f32_bf16", safetensors([("a", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                                            ("b", "BF16", [3], b"\x80\x3f" * 3)]))
put("safetensors", "f16_i64_empty", safetensors([("e", "F16", [0], b""), ("h", "F16", [2], b"\x00\x3c\x00\xbc"),
                                                 ("i", "I64", [1], struct.pack("<q", -1))]))
put("safetensors", "scalar_unpadded", safetensors([("s", "F32", [], struct.pack("<f", 0.5))], pad=False))
raw = FIXTURE.joinpath("model.safetensors").open("rb").read(8)
hlen = struct.unpack("<Q", raw)[0]
with FIXTURE.joinpath("model.safetensors").open("rb") as f:
    fixture_header = f.read(8 + hlen)
put("safetensors", "fixture_header_only", fixture_header)

# --- safetensors_index: the fixture's tensors mapped to the one shard the target writes.
names = sorted(k for k in json.loads(fixture_header[8:]) if k != "__metadata__")
shard = "model-00001-of-00001.safetensors"
put("safetensors_index", "fixture_tensors", json.dumps({"metadata": {"total_size": 16},
                                                        "weight_map": {n: shard for n in names}}, indent=2))
put("safetensors_index", "two_in_shard", json.dumps({"weight_map": {"model.norm.weight": shard,
                                                                    "model.layers.0.input_layernorm.weight": shard}}))
put("safetensors_index", "missing_shard", json.dumps({"weight_map": {"model.norm.weight": "model-00002-of-00002.safetensors"}}))

# --- gguf: the fixture's GGUF files with their arrays cut to 64 elements and
# every tensor shrunk to one block (the metadata and table kept as they are).
def read_gguf(path):
    b = path.read_bytes()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, b, pos)
        pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string():
        nonlocal pos
        n = take("<Q")
        s = b[pos:pos + n]
        pos += n
        return s

    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return (et, [value(et) for _ in range(n)])
        return take(scalar[t])

    assert b[:4] == b"GGUF"
    pos = 4
    version, n_tensors, n_kv = take("<I"), take("<Q"), take("<Q")
    kv = []
    for _ in range(n_kv):
        k = string()
        t = take("<I")
        kv.append((k, t, value(t)))
    tensors = []
    for _ in range(n_tensors):
        name = string()
        nd = take("<I")
        dims = [take("<Q") for _ in range(nd)]
        tensors.append((name, dims, take("<I"), take("<Q")))
    return version, kv, tensors, scalar


def write_gguf(version, kv, tensors, scalar, cut=64):
    out = bytearray(b"GGUF") + struct.pack("<IQQ", version, len(tensors), len(kv))

    def string(s):
        return struct.pack("<Q", len(s)) + s

    def value(t, v):
        if t == 8:
            return string(v)
        if t == 9:
            et, items = v
            items = items[:cut]
            return struct.pack("<IQ", et, len(items)) + b"".join(value(et, x) for x in items)
        return struct.pack(scalar[t], v)

    for k, t, v in kv:
        out += string(k) + struct.pack("<I", t) + value(t, v)
    block = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 12: (256, 144), 13: (256, 176), 14: (256, 210)}
    data, infos = bytearray(), bytearray()
    for name, dims, t, _ in tensors:
        n, size = block.get(t, (32, 34))
        data += b"\x00" * (-len(data) % 32)
        infos += string(name) + struct.pack("<I", 1) + struct.pack("<Q", n) + struct.pack("<IQ", t, len(data))
        data += bytes(size)
    out += infos
    out += b"\x00" * (-len(out) % 32)
    return bytes(out + data)


for p in sorted((SHARED / "fixtures" / "tiny-qwen3-q").glob("*.gguf")):
    version, kv, tensors, scalar = read_gguf(p)
    put("gguf", p.stem + "_small", write_gguf(version, kv, tensors, scalar))
    put("gguf", p.stem + "_metadata_only", write_gguf(version, kv, [], scalar, cut=8))

total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
print(f"fuzz/corpus: {sum(1 for f in OUT.rglob('*') if f.is_file())} files, {total} bytes")
