// Hostile and broken GGUF files: each must be refused with a chord::Error that names the problem
// (and the byte offset), never a crash, a hang or a huge allocation. Run under ASan/UBSan in CI.
#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "gguf_bytes.h"

namespace chord::gguf {
namespace {

using test::GgufBytes;

// Parses and returns the error message, or "" when the file was accepted.
std::string parse_error(const std::vector<uint8_t>& bytes) {
    try {
        (void)File::parse(borrow_bytes(bytes, "hostile.gguf"));
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Format) << e.what();
        return e.what();
    }
    return "";
}

#define EXPECT_REFUSED(bytes, needle)                                                            \
    do {                                                                                         \
        const std::string msg_ = parse_error(bytes);                                             \
        EXPECT_NE(msg_.find(needle), std::string::npos) << "message: '" << msg_ << "'";          \
        EXPECT_NE(msg_.find("(at byte "), std::string::npos) << "no offset in '" << msg_ << "'"; \
        EXPECT_EQ(msg_.rfind("hostile.gguf: ", 0), 0u) << "no file name in '" << msg_ << "'";    \
    } while (0)

std::vector<uint8_t> valid_file() {
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    w.set("a.str_arr", Value::string_array({"one", "two"}));
    w.set("a.nested", Value::array_of_arrays({Value::array(std::vector<int32_t>{1, 2})}));
    w.set("a.u32", Value::scalar<uint32_t>(5));
    w.add_tensor("w1", {8, 2}, GgmlType::F32, std::vector<uint8_t>(64, 1));
    w.add_tensor("w2", {32}, GgmlType::Q8_0, std::vector<uint8_t>(34, 2));
    return w.write_buffer();
}

TEST(Hostile, EveryTruncationIsRefused) {
    const auto good = valid_file();
    const File f = File::parse(borrow_bytes(good));
    uint64_t data_end = 0;
    for (const auto& t : f.tensors()) data_end = std::max(data_end, f.data_offset() + t.offset + t.n_bytes);
    for (size_t cut = 0; cut < good.size(); ++cut) {
        const std::vector<uint8_t> truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
        const std::string msg = parse_error(truncated);
        if (cut < data_end) {
            EXPECT_FALSE(msg.empty()) << "accepted a file cut at byte " << cut;
        } else {
            EXPECT_TRUE(msg.empty()) << "cut only in the final padding, at " << cut << ": " << msg;
        }
    }
}

TEST(Hostile, Magic) {
    EXPECT_REFUSED(std::vector<uint8_t>{}, "not a GGUF file");
    EXPECT_REFUSED((std::vector<uint8_t>{'G', 'G', 'M', 'L', 3, 0, 0, 0}), "magic is 'GGML'");
    auto png = valid_file();
    png[0] = 0x89;
    EXPECT_REFUSED(png, "not a GGUF file");
}

TEST(Hostile, Versions) {
    EXPECT_REFUSED(GgufBytes().header(0, 0, 1).b, "version 1 is not supported");
    EXPECT_REFUSED(GgufBytes().header(0, 0, 99).b, "unsupported GGUF version 99");
    EXPECT_REFUSED(GgufBytes().header(0, 0, 3u << 24).b, "big-endian");
    EXPECT_TRUE(parse_error(GgufBytes().header(0, 0, 2).b).empty());
}

TEST(Hostile, AbsurdCounts) {
    EXPECT_REFUSED(GgufBytes().header(0, 1ull << 62).b, "metadata count");
    EXPECT_REFUSED(GgufBytes().header(~0ull, 0).b, "tensor count");
    EXPECT_REFUSED(GgufBytes().header(0, 1).u64(~0ull).zeros(64).b, "has length");             // key length
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("k").u32(8).u64(1ull << 40).b, "has length");  // string value
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("k").u32(9).u32(4).u64(1ull << 61).b, "claims");  // u32 array
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("k").u32(9).u32(8).u64(1ull << 60).b,
                   "claims");  // string array
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("k").u32(9).u32(9).u64(~0ull).b,
                   "claims");  // array of arrays
}

TEST(Hostile, MetadataTypes) {
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("k").u32(13).u32(0).b, "unknown value type 13");
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("k").u32(9).u32(77).u64(0).b, "unknown value type 77");
    EXPECT_REFUSED(GgufBytes().header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).b,
                   "duplicate metadata key 'k'");
    GgufBytes deep;
    deep.header(0, 1).str("deep").u32(9);
    for (int i = 0; i < 100; ++i) deep.u32(9).u64(1);
    EXPECT_REFUSED(deep.b, "nests arrays deeper");
}

TEST(Hostile, Alignment) {
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("general.alignment").u32(4).u32(0).b, "not a power of two");
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("general.alignment").u32(4).u32(48).b, "not a power of two");
    EXPECT_REFUSED(GgufBytes().header(0, 1).str("general.alignment").u32(10).u64(32).b, "must be a u32");
}

TEST(Hostile, TensorInfos) {
    auto one_tensor = [](std::vector<uint64_t> dims, uint32_t type, uint64_t offset, size_t data) {
        return GgufBytes().header(1, 0).tensor("t", std::move(dims), type, offset).pad().zeros(data).b;
    };
    EXPECT_TRUE(parse_error(one_tensor({8}, 0, 0, 32)).empty());
    EXPECT_REFUSED(one_tensor({8}, 0, 32, 32), "extends past the end");          // offset past the end
    EXPECT_REFUSED(one_tensor({8}, 0, ~0ull - 31, 32), "extends past the end");  // offset overflows
    EXPECT_REFUSED(one_tensor({8}, 0, 4, 64), "not a multiple of the alignment");
    EXPECT_REFUSED(one_tensor({1ull << 62, 1ull << 62}, 0, 0, 0), "element count overflows");
    EXPECT_REFUSED(one_tensor({~0ull}, 0, 0, 0), "negative or huge dimension");
    EXPECT_REFUSED(one_tensor({1ull << 61, 4}, 0, 0, 0), "element count overflows");
    EXPECT_REFUSED(one_tensor({1ull << 62}, 28, 0, 0), "byte size overflows");  // f64: 8 bytes each
    EXPECT_REFUSED(one_tensor({8}, 4, 0, 32), "unknown ggml type 4");           // removed Q4_2
    EXPECT_REFUSED(one_tensor({8}, 1000, 0, 32), "unknown ggml type 1000");
    EXPECT_REFUSED(one_tensor({33}, 2, 0, 64), "not a multiple of q4_0's block size 32");
    EXPECT_REFUSED(one_tensor({1, 1, 1, 1, 1}, 0, 0, 32), "5 dimensions");
    EXPECT_REFUSED(GgufBytes().header(1, 0).tensor("t", {8}, 0, 0).b, "file ends before its tensor data");

    auto two = GgufBytes().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {16}, 0, 32).pad().zeros(128).b;
    EXPECT_REFUSED(two, "overlap");
    auto dup = GgufBytes().header(2, 0).tensor("a", {8}, 0, 0).tensor("a", {8}, 0, 32).pad().zeros(64).b;
    EXPECT_REFUSED(dup, "duplicate tensor name 'a'");
}

TEST(Hostile, RandomByteFlipsNeverCrash) {
    // A cheap in-process fuzz pass (the real fuzzer is tests/fuzz/fuzz_gguf.cpp): any outcome but a
    // crash or a non-chord exception is fine.
    const auto good = valid_file();
    uint32_t state = 7;
    for (int i = 0; i < 20000; ++i) {
        auto bytes = good;
        for (int k = 0; k < 3; ++k) {
            state = state * 1664525u + 1013904223u;
            bytes[state % bytes.size()] = static_cast<uint8_t>(state >> 24);
        }
        try {
            const File f = File::parse(borrow_bytes(bytes));
            for (const auto& kv : f.metadata()) (void)kv.value.to_display();
        } catch (const Error&) {
        }
    }
}

}  // namespace
}  // namespace chord::gguf
