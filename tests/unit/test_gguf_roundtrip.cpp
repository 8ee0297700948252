// GGUF writer and reader together: every value type and nested arrays survive a round trip, tensor
// data lands aligned where the table says, and real files (llama.cpp's vocabularies) read and write
// back byte-identically.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"

namespace chord::gguf {
namespace {

Writer every_type_writer(uint32_t version, uint32_t alignment) {
    Writer w(version);
    w.set("general.architecture", Value::string("llama"));
    if (alignment != kDefaultAlignment) w.set("general.alignment", Value::scalar<uint32_t>(alignment));
    w.set("t.u8", Value::scalar<uint8_t>(200));
    w.set("t.i8", Value::scalar<int8_t>(-100));
    w.set("t.u16", Value::scalar<uint16_t>(60000));
    w.set("t.i16", Value::scalar<int16_t>(-30000));
    w.set("t.u32", Value::scalar<uint32_t>(4000000000u));
    w.set("t.i32", Value::scalar<int32_t>(-2000000000));
    w.set("t.f32", Value::scalar<float>(3.5f));
    w.set("t.bool", Value::scalar<bool>(true));
    w.set("t.str", Value::string(std::string("with\0nul and \xff bytes", 21)));
    w.set("t.u64", Value::scalar<uint64_t>(1ull << 63));
    w.set("t.i64", Value::scalar<int64_t>(-(1ll << 62)));
    w.set("t.f64", Value::scalar<double>(-0.125));
    w.set("t.arr_f32", Value::array(std::vector<float>{1.0f, -2.0f, 0.5f}));
    w.set("t.arr_i8", Value::array(std::vector<int8_t>{-1, 2}));
    w.set("t.arr_bool", Value::array(std::vector<bool>{true, false, true}));
    w.set("t.arr_str", Value::string_array({"a", "", "ccc"}));
    w.set("t.arr_empty", Value::array(std::vector<uint64_t>{}));
    w.set("t.nested",
          Value::array_of_arrays({Value::array(std::vector<int32_t>{1, 2}), Value::string_array({"x"}),
                                  Value::array_of_arrays({Value::array(std::vector<double>{9.0})})}));
    return w;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
    return v;
}

class RoundTrip : public ::testing::TestWithParam<std::pair<uint32_t, uint32_t>> {};

TEST_P(RoundTrip, EveryValueTypeAndTensorsSurvive) {
    const auto [version, alignment] = GetParam();
    Writer w = every_type_writer(version, alignment);
    const auto f32 = pattern(4 * 3 * 5, 1);
    const auto f16 = pattern(2 * 7, 2);
    const auto q40 = pattern(18 * 2, 3);
    w.add_tensor("a.f32", {3, 5}, GgmlType::F32, f32);
    w.add_tensor("b.f16", {7}, GgmlType::F16, f16);
    w.add_tensor("c.q4_0", {32, 1, 2}, GgmlType::Q4_0, q40);
    w.add_tensor("d.filled", {4}, GgmlType::F32, [](std::span<uint8_t> out) {
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i);
    });
    const auto bytes = w.write_buffer();
    const File f = File::parse(borrow_bytes(bytes));

    EXPECT_EQ(f.version(), version);
    EXPECT_EQ(f.alignment(), alignment);
    EXPECT_EQ(f.data_offset() % alignment, 0u);
    ASSERT_EQ(f.metadata().size(), w.metadata().size());
    for (size_t i = 0; i < f.metadata().size(); ++i) {
        EXPECT_EQ(f.metadata()[i].key, w.metadata()[i].key);
        EXPECT_EQ(f.metadata()[i].value, w.metadata()[i].value) << w.metadata()[i].key;
    }
    EXPECT_EQ(f.get("t.i8").to_i64(), -100);
    EXPECT_EQ(f.get("t.str").str().size(), 21u);
    EXPECT_EQ(f.get("t.nested").items()[2].items()[0].element(0).to_f64(), 9.0);

    ASSERT_EQ(f.tensors().size(), 4u);
    const TensorInfo& q = f.get_tensor("c.q4_0");
    EXPECT_EQ(q.n_dims, 3u);
    EXPECT_EQ(q.n_elements, 64u);
    EXPECT_EQ(q.n_bytes, 36u);
    EXPECT_EQ(q.shape_string(), "[32, 1, 2]");
    EXPECT_TRUE(std::equal(q.data.begin(), q.data.end(), q40.begin(), q40.end()));
    EXPECT_TRUE(
        std::equal(f.get_tensor("a.f32").data.begin(), f.get_tensor("a.f32").data.end(), f32.begin()));
    EXPECT_EQ(f.get_tensor("d.filled").data[15], 15);
    for (const auto& t : f.tensors()) EXPECT_EQ(t.offset % alignment, 0u) << t.name;
    EXPECT_EQ(bytes.size() % alignment, 0u);  // ggml pads the last tensor too

    EXPECT_EQ(Writer::copy_of(f).write_buffer(), bytes);
}

INSTANTIATE_TEST_SUITE_P(VersionsAndAlignments, RoundTrip,
                         ::testing::Values(std::pair{3u, 32u}, std::pair{2u, 32u}, std::pair{3u, 64u},
                                           std::pair{3u, 1u}, std::pair{3u, 4096u}));

TEST(Writer, RejectsBadTensors) {
    Writer w;
    EXPECT_THROW(w.add_tensor("x", {33}, GgmlType::Q4_0, pattern(36, 0)), Error);  // not whole blocks
    EXPECT_THROW(w.add_tensor("x", {4}, GgmlType::F32, pattern(15, 0)), Error);    // wrong byte count
    w.add_tensor("x", {4}, GgmlType::F32, pattern(16, 0));
    EXPECT_THROW(w.add_tensor("x", {4}, GgmlType::F32, pattern(16, 0)), Error);  // duplicate name
}

TEST(Writer, WritesFilesAtomically) {
    const auto path = std::filesystem::temp_directory_path() / "chord_writer_test.gguf";
    Writer w = every_type_writer(3, 32);
    w.add_tensor("t", {8}, GgmlType::F32, pattern(32, 5));
    w.write_file(path.string());
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".partial"));
    const File f = File::open(path.string());
    EXPECT_EQ(f.tensors().size(), 1u);
    EXPECT_EQ(Writer::copy_of(f).write_buffer(), w.write_buffer());
    std::filesystem::remove(path);
    EXPECT_THROW(File::open(path.string()), Error);
}

// Every vocabulary GGUF in llama.cpp's source (fetched by tools/fetch-testdata.sh) reads and writes
// back byte-identically.
TEST(RealFiles, VocabulariesRoundTripByteIdentically) {
    const std::filesystem::path dir = std::filesystem::path(CHORD_TESTDATA_DIR) / "vocab";
    if (!std::filesystem::is_directory(dir)) {
        if (std::getenv("CHORD_REQUIRE_TESTDATA") != nullptr) FAIL() << "missing " << dir;
        GTEST_SKIP() << "no test data in " << dir << " (run tools/fetch-testdata.sh)";
    }
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".gguf") continue;
        SCOPED_TRACE(entry.path().string());
        const File f = File::open(entry.path().string());
        EXPECT_GT(f.metadata().size(), 0u);
        const auto written = Writer::copy_of(f).write_buffer();
        const auto original = f.bytes();
        ASSERT_EQ(written.size(), original.size());
        EXPECT_TRUE(std::equal(written.begin(), written.end(), original.begin()));
        ++checked;
    }
    EXPECT_GT(checked, 10);
}

}  // namespace
}  // namespace chord::gguf
