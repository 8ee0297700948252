// gguf::Value conversions and display, and typed metadata lookups on a parsed file.
#include <gtest/gtest.h>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/value.h"
#include "gguf/writer.h"

namespace chord::gguf {
namespace {

TEST(GgufValue, IntegerConversionsCheckRange) {
    EXPECT_EQ(Value::scalar<int8_t>(-5).to_i64(), -5);
    EXPECT_FALSE(Value::scalar<int8_t>(-5).to_u64().has_value());
    EXPECT_EQ(Value::scalar<uint64_t>(~0ull).to_u64(), ~0ull);
    EXPECT_FALSE(Value::scalar<uint64_t>(~0ull).to_i64().has_value());
    EXPECT_EQ(Value::scalar<int16_t>(-300).to_f64(), -300.0);
    EXPECT_EQ(Value::scalar<float>(0.5f).to_f64(), 0.5);
    EXPECT_FALSE(Value::scalar<float>(0.5f).to_u64().has_value());
    EXPECT_EQ(Value::scalar<bool>(true).to_bool(), true);
    EXPECT_FALSE(Value::string("x").to_f64().has_value());
}

TEST(GgufValue, ArraysConvertElementwise) {
    const Value ints = Value::array(std::vector<int32_t>{1, -2, 3});
    EXPECT_EQ(ints.size(), 3u);
    EXPECT_EQ(ints.element(1).to_i64(), -2);
    EXPECT_EQ(*ints.to_f32_vector(), (std::vector<float>{1.0f, -2.0f, 3.0f}));
    EXPECT_EQ(*ints.to_i64_vector(), (std::vector<int64_t>{1, -2, 3}));
    EXPECT_FALSE(Value::string_array({"a"}).to_f32_vector().has_value());
    EXPECT_THROW(ints.element(3), Error);
}

TEST(GgufValue, DisplayAbbreviatesUnlessFull) {
    std::vector<uint32_t> many(100, 7);
    const Value v = Value::array(many);
    EXPECT_EQ(v.to_display(), "[7, 7, 7, 7, 7, 7, 7, 7, ... 92 more]");
    EXPECT_EQ(v.to_display(true).size(), 2 + 100 + 99 * 2u);
    EXPECT_EQ(Value::string("a\"b\n\x01").to_display(), "\"a\\\"b\\n\\x01\"");
    EXPECT_EQ(Value::scalar<bool>(false).to_display(), "false");
    EXPECT_EQ(Value::string_array({"x", "y"}).to_display(), "[\"x\", \"y\"]");
}

TEST(GgufFileLookup, TypedGettersNameTheKey) {
    Writer w;
    w.set("n", Value::scalar<uint32_t>(7));
    w.set("neg", Value::scalar<int32_t>(-1));
    w.set("big", Value::scalar<uint64_t>(1ull << 40));
    w.set("s", Value::string("hello"));
    w.set("f", Value::scalar<float>(0.25f));
    w.set("b", Value::scalar<bool>(true));
    const auto buf = w.write_buffer();
    const File f = File::parse(borrow_bytes(buf));
    EXPECT_EQ(f.get_u32("n"), 7u);
    EXPECT_EQ(f.get_f32("n"), 7.0f);
    EXPECT_EQ(f.get_f32("f"), 0.25f);
    EXPECT_EQ(f.get_string("s"), "hello");
    EXPECT_TRUE(f.get_bool("b"));
    EXPECT_EQ(f.get_u32_or("absent", 9), 9u);
    EXPECT_EQ(f.get_string_or("absent", "d"), "d");
    try {
        (void)f.get_u32("missing.key");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Missing);
        EXPECT_NE(std::string(e.what()).find("missing.key"), std::string::npos);
    }
    EXPECT_THROW((void)f.get_u32("neg"), Error);
    EXPECT_THROW((void)f.get_u32("big"), Error);
    EXPECT_THROW((void)f.get_u32("s"), Error);
    EXPECT_THROW((void)f.get_string("n"), Error);
    EXPECT_THROW((void)f.get_bool("n"), Error);
    EXPECT_THROW((void)f.get_u32_or("s", 1), Error);  // present but wrong type is still an error
}

}  // namespace
}  // namespace chord::gguf
