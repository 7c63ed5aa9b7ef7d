// The shared YAML reader: typed getters return a value or record an error
// at the offending node, and a load goes on, so every problem is reported.
#include "sla/yaml/reader.hpp"

#include <gtest/gtest.h>

namespace sla::yaml {
namespace {

TEST(ParseInteger, WholeNumbersInRangeOnly) {
  EXPECT_EQ(parse_integer("42", 0, 100).value(), 42);
  EXPECT_EQ(parse_integer("+7", 0, 100).value(), 7);
  EXPECT_EQ(parse_integer("-3", -5, 5).value(), -3);
  EXPECT_EQ(parse_integer("9223372036854775807", 0, INT64_MAX).value(), INT64_MAX);
  for (const char* bad : {"", "+", "-", "4 2", " 42", "42 ", "0x10", "1e3", "4.0", "+-1", "--1", "abc"}) {
    auto r = parse_integer(bad, -100, 100);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message, "expected a whole number, got '" + std::string(bad) + "'");
  }
  EXPECT_EQ(parse_integer("70000", 0, 65535).error().message, "70000 is out of range (0..65535)");
  EXPECT_EQ(parse_integer("99999999999999999999", 0, 10).error().code, ErrorCode::kOutOfRange);
}

TEST(Reader, CollectsEveryErrorWithItsPosition) {
  Reader r("s.yaml");
  const YAML::Node root = r.parse("a: 1\nb: x\na: 2\nc: {d: [1, 2]}\ne:\nunknown: 3\n");
  ASSERT_EQ(r.error_count(), 0U);
  auto m = r.mapping(root, "top", {"a", "b", "c", "e"});
  ASSERT_TRUE(m);
  EXPECT_EQ(r.integer(find(*m, "a")->value, "a", 0, 0), std::nullopt);   // 1 out of 0..0
  EXPECT_EQ(r.integer(find(*m, "b")->value, "b", 0, 9), std::nullopt);   // not a number
  EXPECT_EQ(r.scalar(find(*m, "c")->value, "c"), std::nullopt);          // a mapping
  EXPECT_EQ(r.nonempty_scalar(find(*m, "e")->value, "e"), std::nullopt); // `e:` is nothing, reported at e
  const auto errors = r.take_sorted_errors();
  ASSERT_EQ(errors.size(), 6U);
  EXPECT_EQ(format(errors[0]), "s.yaml:1:4: a: 1 is out of range (0..0)");
  EXPECT_EQ(format(errors[1]), "s.yaml:2:4: b: expected a whole number, got 'x'");
  EXPECT_EQ(format(errors[2]), "s.yaml:3:1: top: duplicate key 'a'");
  EXPECT_EQ(format(errors[3]), "s.yaml:4:4: c: expected a value, got a mapping");
  EXPECT_EQ(format(errors[4]), "s.yaml:5:1: e: expected a value, got nothing");
  EXPECT_EQ(format(errors[5]), "s.yaml:6:1: unknown key 'unknown' in top (expected one of: a, b, c, e)");
  EXPECT_EQ(r.error_count(), 0U);
}

TEST(Reader, SyntaxErrorsAndListsAndBooleans) {
  Reader r("s.yaml");
  EXPECT_FALSE(r.parse("a: [1,\n").IsDefined());
  ASSERT_EQ(r.error_count(), 1U);
  EXPECT_EQ(r.errors()[0].file, "s.yaml");
  EXPECT_GT(r.errors()[0].line, 0);
  EXPECT_EQ(r.errors()[0].message.rfind("YAML syntax error: ", 0), 0U);
  Reader l("l.yaml");
  const YAML::Node n = l.parse("one: x\nmany: [a, '', b]\nflag: maybe\nyes: True\n");
  EXPECT_EQ(l.string_list(n["one"], "one", /*allow_scalar=*/true), (std::vector<std::string>{"x"}));
  EXPECT_EQ(l.string_list(n["one"], "one"), std::nullopt);
  EXPECT_EQ(l.string_list(n["many"], "many"), std::nullopt);
  EXPECT_EQ(l.boolean(n["flag"], "flag"), std::nullopt);
  EXPECT_EQ(l.boolean(n["yes"], "yes"), true);
  const auto errors = l.take_sorted_errors();
  ASSERT_EQ(errors.size(), 3U);
  EXPECT_EQ(errors[0].message, "one: expected a list, got a scalar 'x'");
  EXPECT_EQ(errors[1].message, "many[1]: must not be empty");
  EXPECT_EQ(errors[2].message, "flag: expected true or false, got 'maybe'");
  EXPECT_EQ(format(Error{"", 0, 0, "m"}), "<input>: m");
}

}  // namespace
}  // namespace sla::yaml
