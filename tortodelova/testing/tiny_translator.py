"""A tiny stand-in for Helsinki-NLP/opus-mt-ru-en, built offline for tests and `download_models.py --tiny`.

It is saved with ``save_pretrained`` in the same layout as the real checkpoint (source.spm, target.spm, vocab.json,
tokenizer_config.json, config.json, generation_config.json, model.safetensors), so the translator runs the real
MarianTokenizer / MarianMTModel code path. The model is overfit for a few seconds on cake phrases, so it produces
real translations of them (шоколадный торт → chocolate cake). Sources look like what the translator feeds the real
model: glossary terms already in English inside Russian text.
"""

import io
import json
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

SEED = 20240501
TRAIN_STEPS = 150  # all pairs come out exact from about 100

# (source after glossary substitution, reference English)
PAIRS = [
    ("шоколадный торт", "chocolate cake"),
    ("ванильный торт", "vanilla cake"),
    ("клубничный торт", "strawberry cake"),
    ("белый торт", "white cake"),
    ("розовый торт", "pink cake"),
    ("нежный торт", "delicate cake"),
    ("красивый торт", "beautiful cake"),
    ("свадебный торт", "wedding cake"),
    ("детский торт", "kids cake"),
    ("торт на день рождения", "birthday cake"),
    ("торт с клубникой", "cake with strawberries"),
    ("торт с ягодами", "cake with berries"),
    ("торт с розами", "cake with roses"),
    ("торт с цветами", "cake with flowers"),
    ("шоколадный торт с ягодами", "chocolate cake with berries"),
    ("белый торт с розами", "white cake with roses"),
    ("торт с fondant", "cake with fondant"),
    ("белый торт с fondant", "white cake with fondant"),
    ("торт с fresh flowers", "cake with fresh flowers"),
    ("торт с meringue kisses", "cake with meringue kisses"),
    ("шоколадный sponge cake", "chocolate sponge cake"),
    ("two-tier cake с fondant", "two-tier cake with fondant"),
    ("нежный two-tier cake с fondant цвета dusty rose и fresh flowers",
     "delicate two-tier cake with dusty rose fondant and fresh flowers"),
]


def _train_spm(lines: list[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,  # a small corpus cannot fill a fixed vocabulary
        model_type="unigram",
        character_coverage=1.0,
        num_threads=1,  # deterministic
        minloglevel=2,
    )
    return model.getvalue()


def _write_tokenizer_files(path: Path, source_spm: bytes, target_spm: bytes) -> int:
    """Write spm files and Marian's shared vocab.json (</s>=0, <unk>=1, ..., <pad>=last); return its size."""
    import sentencepiece as spm

    (path / "source.spm").write_bytes(source_spm)
    (path / "target.spm").write_bytes(target_spm)
    vocab = {"</s>": 0, "<unk>": 1}
    for blob in (source_spm, target_spm):
        processor = spm.SentencePieceProcessor(model_proto=blob)
        for index in range(processor.get_piece_size()):
            piece = processor.id_to_piece(index)
            if not processor.is_control(index) and not processor.is_unknown(index):
                vocab.setdefault(piece, len(vocab))
    vocab["<pad>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=2), encoding="utf-8")
    tokenizer_config = {"source_lang": "ru", "target_lang": "en", "separate_vocabs": False}
    (path / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2), encoding="utf-8")
    return len(vocab)


def _config(vocab_size: int):
    from transformers import MarianConfig

    pad = vocab_size - 1
    # Same shape of config as opus-mt-ru-en (swish, scaled embeddings, static positions), only tiny.
    return MarianConfig(
        vocab_size=vocab_size,
        d_model=48,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=96,
        decoder_ffn_dim=96,
        max_position_embeddings=512,
        activation_function="swish",
        scale_embedding=True,
        dropout=0.0,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        bos_token_id=0,
        architectures=["MarianMTModel"],
    )


def _generation_config(vocab_size: int):
    from transformers import GenerationConfig

    pad = vocab_size - 1
    # The real checkpoint asks for 6 beams; the translator must override that.
    return GenerationConfig(
        bad_words_ids=[[pad]],
        bos_token_id=0,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        max_length=512,
        num_beams=6,
        pad_token_id=pad,
        renormalize_logits=True,
    )


def _overfit(model, tokenizer) -> float:
    import torch

    sources = [source for source, _ in PAIRS]
    targets = [target for _, target in PAIRS]
    batch = tokenizer(sources, text_target=targets, padding=True, return_tensors="pt")
    labels = batch["labels"].masked_fill(batch["labels"] == tokenizer.pad_token_id, -100)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad()
        loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels).loss
        loss.backward()
        optimizer.step()
    model.eval()
    return float(loss.detach())


def build_tiny_translator(path) -> None:
    """Build the tiny RU→EN Marian model into ``path`` (created if needed). No network, a few seconds on one core."""
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    source_spm = _train_spm([source for source, _ in PAIRS], vocab_size=120)
    target_spm = _train_spm([target for _, target in PAIRS], vocab_size=80)
    vocab_size = _write_tokenizer_files(path, source_spm, target_spm)
    tokenizer = MarianTokenizer.from_pretrained(path)

    model = MarianMTModel(_config(vocab_size))
    # A model this small gains nothing from threads, and on a shared CPU they cost tenfold in contention.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        loss = _overfit(model, tokenizer)
    finally:
        torch.set_num_threads(threads)
    logger.info("tiny translator: vocab %s, final loss %.4f", vocab_size, loss)

    model.generation_config = _generation_config(vocab_size)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
