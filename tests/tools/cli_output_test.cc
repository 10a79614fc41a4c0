#include "tools/cli_output.h"

#include "catch2/catch.hpp"

namespace warehouse::cli {
namespace {

TEST_CASE("tables align columns and right-align numbers", "[tools]") {
  Table table({"NAME", "SIZE", "NOTE"}, {1});
  table.AddRow({"a", "1.5 KiB", "x"});
  table.AddRow({"longer-name", "12 B", ""});
  CHECK(table.Render() ==
        "NAME            SIZE  NOTE\n"
        "a            1.5 KiB  x\n"
        "longer-name     12 B\n");
}

TEST_CASE("table widths count characters, not bytes", "[tools]") {
  Table table({"K", "V"});
  table.AddRow({"\xc3\xa9t\xc3\xa9", "1"});  // "été"
  table.AddRow({"abcd", "2"});
  CHECK(table.Render() ==
        "K     V\n"
        "\xc3\xa9t\xc3\xa9   1\n"
        "abcd  2\n");
}

TEST_CASE("percentages and a compaction's progress read as people expect",
          "[tools]") {
  CHECK(FormatPercent(0, 0) == "0.0%");
  CHECK(FormatPercent(1, 3) == "33.3%");
  CHECK(FormatPercent(9408, 32752) == "28.7%");
  CHECK(FormatCompacting(false, 5, 10) == "no");
  CHECK(FormatCompacting(true, 0, 0) == "yes");  // not counted yet
  CHECK(FormatCompacting(true, 45, 100) == "yes (45.0%)");
  CHECK(FormatCompacting(true, 130, 100) == "yes (100.0%)");
}

TEST_CASE("json is written with commas, escapes and nesting", "[tools]") {
  JsonWriter json;
  json.BeginObject()
      .Key("name").String("a \"b\"\n\\")
      .Key("n").Number(uint64_t{18446744073709551615u})
      .Key("ratio").Number(0.25)
      .Key("list").BeginArray().Bool(true).Null().String("x").EndArray()
      .Key("empty").BeginObject().EndObject()
      .EndObject();
  CHECK(json.str() ==
        R"({"name":"a \"b\"\n\\","n":18446744073709551615,"ratio":0.25,)"
        R"("list":[true,null,"x"],"empty":{}})");
}

TEST_CASE("json strings stay valid whatever the bytes", "[tools]") {
  CHECK(JsonString("\x01") == "\"\\u0001\"");
  CHECK(JsonString("\xff") == "\"\\ufffd\"");
  CHECK(JsonString("\xc3\xa9") == "\"\xc3\xa9\"");
}

TEST_CASE("a json array can be streamed in pieces", "[tools]") {
  JsonWriter json;
  json.BeginArray();
  std::string out = json.Take();
  json.String("a");
  out += json.Take();
  json.String("b");
  out += json.Take();
  out += json.EndArray().Take();
  CHECK(out == R"(["a","b"])");
}

}  // namespace
}  // namespace warehouse::cli
