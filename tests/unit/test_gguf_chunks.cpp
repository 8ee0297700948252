// A model loaded from several allocations (what WebAssembly does for files over 2 GB): plan_chunks
// cuts where no tensor straddles, asks for more header bytes when it needs them, and a model parsed
// from the chunks has the same tensors as one parsed from the whole file; a straddling cut is refused;
// the bytes a source owns are writable (in place repacking), borrowed ones not.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "chord/chord.h"
#include "core/byte_source.h"
#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "model/synth.h"

namespace chord::gguf {
namespace {

std::vector<uint8_t> tiny_vocab() {
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    w.set("tokenizer.ggml.model", Value::string("llama"));
    w.set("tokenizer.ggml.tokens", Value::string_array({"<unk>", "<s>", "</s>", "a", "b"}));
    w.set("tokenizer.ggml.scores", Value::array(std::vector<float>{0, 0, 0, -1, -2}));
    w.set("tokenizer.ggml.bos_token_id", Value::scalar<uint32_t>(1));
    return w.write_buffer();
}

std::vector<uint8_t> small_model() {
    const auto vocab_bytes = tiny_vocab();
    const File vocab = File::parse(borrow_bytes(vocab_bytes));
    model::SynthOptions o;
    o.dim = 64, o.n_layers = 3, o.n_heads = 4, o.n_kv_heads = 2, o.ffn = 96, o.n_ctx = 128;
    return model::synthesize(vocab, o).write_buffer();
}

std::vector<MallocChunk> cut(const std::vector<uint8_t>& bytes, const std::vector<uint64_t>& ends) {
    std::vector<MallocChunk> chunks;
    uint64_t start = 0;
    for (const uint64_t end : ends) {
        const auto n = static_cast<size_t>(end - start);
        void* p = std::malloc(n == 0 ? 1 : n);
        std::memcpy(p, bytes.data() + start, n);
        chunks.push_back({p, n});
        start = end;
    }
    return chunks;
}

TEST(GgufChunks, PlanKeepsTensorsWholeAndChunksSmall) {
    const auto bytes = small_model();
    const File whole = File::parse(borrow_bytes(bytes));
    const uint64_t max_chunk = 40000;
    const PlanResult plan = plan_chunks(bytes, bytes.size(), max_chunk);
    ASSERT_EQ(plan.head_needed, 0u);
    ASSERT_GT(plan.chunk_ends.size(), 2u);
    EXPECT_EQ(plan.chunk_ends.back(), bytes.size());
    uint64_t start = 0;
    for (const uint64_t end : plan.chunk_ends) {
        EXPECT_LE(end - start, max_chunk);
        for (const auto& t : whole.tensors()) {
            const uint64_t b = whole.data_offset() + t.offset;
            EXPECT_FALSE(b < end && b + t.n_bytes > end) << t.name << " straddles " << end;
        }
        start = end;
    }

    const File chunked = File::parse(chunked_bytes(cut(bytes, plan.chunk_ends)));
    ASSERT_EQ(chunked.tensors().size(), whole.tensors().size());
    for (size_t i = 0; i < whole.tensors().size(); ++i) {
        const auto& a = whole.tensors()[i].data;
        const auto& b = chunked.tensors()[i].data;
        ASSERT_EQ(a.size(), b.size());
        EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size()), 0) << whole.tensors()[i].name;
    }
    EXPECT_EQ(chunked.source()->size(), bytes.size());
}

TEST(GgufChunks, AsksForMoreHeaderBytes) {
    const auto bytes = small_model();
    const std::span<const uint8_t> all(bytes);
    const PlanResult short_head = plan_chunks(all.first(64), bytes.size(), 1 << 20);
    EXPECT_TRUE(short_head.chunk_ends.empty());
    EXPECT_GT(short_head.head_needed, 64u);
    // Growing the head to what it asks for converges on the plan made from the whole file.
    uint64_t have = 64;
    PlanResult p = short_head;
    while (p.head_needed > 0) {
        have = std::min<uint64_t>(bytes.size(), std::max(p.head_needed, 2 * have));
        p = plan_chunks(all.first(static_cast<size_t>(have)), bytes.size(), 1 << 20);
    }
    EXPECT_EQ(p.chunk_ends, plan_chunks(all, bytes.size(), 1 << 20).chunk_ends);
}

TEST(GgufChunks, RejectsNonGgufAndHugeTensors) {
    const std::vector<uint8_t> junk(1000, 'x');
    EXPECT_THROW(plan_chunks(junk, junk.size(), 1 << 20), Error);
    const auto bytes = small_model();
    try {
        (void)plan_chunks(bytes, bytes.size(), 1000);
        FAIL() << "a tensor larger than a chunk was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    }
}

TEST(GgufChunks, StraddlingCutIsRefused) {
    const auto bytes = small_model();
    const File whole = File::parse(borrow_bytes(bytes));
    const auto& t = whole.tensors().back();
    const uint64_t mid = whole.data_offset() + t.offset + t.n_bytes / 2;
    EXPECT_THROW(File::parse(chunked_bytes(cut(bytes, {mid, bytes.size()}))), Error);
}

// ByteSource::writable (what Model::pack_in_place rewrites): inside one owned buffer or chunk, the same
// address; across two chunks, outside, or in borrowed bytes, none.
TEST(GgufChunks, WritableWhereTheSourceOwnsTheBytes) {
    std::vector<uint8_t> bytes(100, 7);
    const auto borrowed = borrow_bytes(bytes);
    EXPECT_EQ(borrowed->writable(bytes.data(), 10), nullptr);
    const auto owned = own_bytes(bytes);
    const uint8_t* o = owned->bytes().data();
    EXPECT_EQ(owned->writable(o + 10, 90), o + 10);
    EXPECT_EQ(owned->writable(o + 10, 91), nullptr);
    EXPECT_EQ(owned->writable(bytes.data(), 1), nullptr);
    const auto chunked = chunked_bytes(cut(bytes, {40, 100}));
    const uint8_t* c0 = chunked->range(0, 40).data();
    const uint8_t* c1 = chunked->range(40, 60).data();
    EXPECT_EQ(chunked->writable(c0, 40), c0);
    EXPECT_EQ(chunked->writable(c1 + 5, 55), c1 + 5);
    EXPECT_EQ(chunked->writable(c0 + 30, 20), nullptr);  // past the end of chunk 0
    EXPECT_EQ(chunked->writable(c1, 61), nullptr);
}

TEST(GgufChunks, CApiLoadsFromChunks) {
    const auto bytes = small_model();
    uint64_t ends[64];
    size_t n = 0;
    uint64_t needed = 0;
    ASSERT_EQ(chord_gguf_plan_chunks(bytes.data(), 32, bytes.size(), 40000, ends, 64, &n, &needed),
              CHORD_ERROR_BUFFER_TOO_SMALL);
    EXPECT_EQ(n, 0u);
    EXPECT_GT(needed, 32u);
    ASSERT_EQ(chord_gguf_plan_chunks(bytes.data(), bytes.size(), bytes.size(), 40000, ends, 1, &n, &needed),
              CHORD_ERROR_BUFFER_TOO_SMALL);
    EXPECT_GT(n, 1u);
    ASSERT_EQ(chord_gguf_plan_chunks(bytes.data(), bytes.size(), bytes.size(), 40000, ends, 64, &n, &needed),
              CHORD_OK);
    auto chunks = cut(bytes, std::vector<uint64_t>(ends, ends + n));
    std::vector<void*> data;
    std::vector<size_t> sizes;
    for (const auto& c : chunks) data.push_back(c.data), sizes.push_back(c.size);
    chord_model* m = nullptr;
    ASSERT_EQ(chord_model_load_from_chunks(data.data(), sizes.data(), n, &m), CHORD_OK) << chord_last_error();
    chord_model_info info;
    ASSERT_EQ(chord_model_get_info(m, &info), CHORD_OK);
    EXPECT_EQ(info.n_layers, 3u);
    chord_model_free(m);

    // Junk is refused and its chunk freed (ASan would see a leak).
    void* junk = std::malloc(100);
    std::memset(junk, 'x', 100);
    size_t junk_size = 100;
    EXPECT_EQ(chord_model_load_from_chunks(&junk, &junk_size, 1, &m), CHORD_ERROR_FORMAT);
}

}  // namespace
}  // namespace chord::gguf
