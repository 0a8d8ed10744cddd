"""Translation speed: transformers (the service's Marian code path) against CTranslate2 int8, in one run.

    python -m benchmarks.translation [--batch-sizes 1 4] [--beams 1 3] [--repeats 5] [--json out.json]

The model has RANDOM weights in the exact Helsinki-NLP/opus-mt-ru-en architecture (Marian, d_model 512, 6+6 layers,
8 heads, FFN 2048, vocabulary 62518), built once into a cache folder and converted to CTranslate2 int8 with the
official converter. Random weights cost the same FLOPs per token, but they do not stop decoding like a trained
model: both engines therefore decode a fixed number of tokens (``--new-tokens``, about a prompt's length), which
makes the comparison per token, like for like. Translation quality of int8 cannot be judged without the real
weights; see README for what that means for the choice.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import torch

CACHE = Path(".cache/bench-models/opus-mt-ru-en-random")
CONFIG = dict(
    vocab_size=62518, decoder_vocab_size=62518, d_model=512, encoder_layers=6, decoder_layers=6,
    encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
    max_position_embeddings=512, pad_token_id=62517, eos_token_id=0, decoder_start_token_id=62517,
    scale_embedding=True, share_encoder_decoder_embeddings=True, activation_function="swish",
)


def build(cache: Path) -> tuple[Path, Path]:
    """Random real-size Marian in the transformers layout (with a synthetic 62518-entry vocabulary), and its
    CTranslate2 int8 conversion."""
    hf_dir, ct2_dir = cache / "transformers", cache / "ct2-int8"
    if (ct2_dir / "model.bin").exists():
        return hf_dir, ct2_dir
    from transformers import MarianConfig, MarianMTModel

    from tortodelova.testing.tiny_translator import build_tiny_translator

    shutil.rmtree(cache, ignore_errors=True)
    # The sentencepiece models of the tiny translator give MarianTokenizer its files; the vocabulary the converter
    # reads is the 62518-entry one written below, the size of the real model's.
    build_tiny_translator(cache / "tiny")
    hf_dir.mkdir(parents=True)
    for name in ("source.spm", "target.spm", "tokenizer_config.json"):
        shutil.copy(cache / "tiny" / name, hf_dir / name)
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(2, CONFIG["vocab_size"] - 2):  # the converter adds no row for the last id: 62517 tokens
        vocab[f"▁w{i}"] = i
    vocab["<pad>"] = CONFIG["pad_token_id"]
    (hf_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    torch.manual_seed(0)
    MarianMTModel(MarianConfig(**CONFIG)).save_pretrained(hf_dir)
    from ctranslate2.converters import TransformersConverter

    TransformersConverter(str(hf_dir)).convert(str(ct2_dir), quantization="int8")
    return hf_dir, ct2_dir


def source_ids(batch: int, length: int) -> list[list[int]]:
    generator = torch.Generator().manual_seed(1)
    return [(torch.randint(2, CONFIG["vocab_size"] - 2, (length,), generator=generator).tolist() + [0])
            for _ in range(batch)]


def time_it(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--beams", nargs="+", type=int, default=[1, 3])
    parser.add_argument("--source-tokens", type=int, default=24, help="tokens of a typical cake description")
    parser.add_argument("--new-tokens", type=int, default=30, help="tokens decoded per sentence")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import ctranslate2
    from transformers import MarianMTModel

    from tortodelova.pipeline.generator import physical_cores

    threads = args.threads or physical_cores()
    torch.set_num_threads(threads)
    hf_dir, ct2_dir = build(CACHE)
    model = MarianMTModel.from_pretrained(hf_dir).eval()
    translator = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="int8", intra_threads=threads)
    id_to_token = {i: t for t, i in json.loads((hf_dir / "vocab.json").read_text()).items()}

    rows = []
    for batch in args.batch_sizes:
        ids = source_ids(batch, args.source_tokens)
        tokens = [[id_to_token[i] for i in sentence] for sentence in ids]
        for beams in args.beams:
            def run_transformers(ids=ids, beams=beams):
                with torch.inference_mode():
                    model.generate(torch.tensor(ids), num_beams=beams, min_new_tokens=args.new_tokens,
                                   max_new_tokens=args.new_tokens, do_sample=False)

            def run_ct2(tokens=tokens, beams=beams):
                translator.translate_batch(tokens, beam_size=beams, min_decoding_length=args.new_tokens,
                                           max_decoding_length=args.new_tokens)

            hf = time_it(run_transformers, args.repeats)
            ct2 = time_it(run_ct2, args.repeats)
            rows.append({"batch": batch, "beams": beams, "transformers_fp32_ms": hf * 1000,
                         "ctranslate2_int8_ms": ct2 * 1000, "speedup": hf / ct2})

    print(f"\nMarian opus-mt-ru-en size, random weights, CPU {threads} threads, {args.source_tokens} source tokens, "
          f"{args.new_tokens} decoded tokens per sentence, median of {args.repeats}")
    print(f"{'batch':>5} {'beams':>5} {'transformers fp32 ms':>21} {'CTranslate2 int8 ms':>20} {'ratio':>7}")
    for row in rows:
        print(f"{row['batch']:>5} {row['beams']:>5} {row['transformers_fp32_ms']:>21.1f} "
              f"{row['ctranslate2_int8_ms']:>20.1f} {row['speedup']:>6.2f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
