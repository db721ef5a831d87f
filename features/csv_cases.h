// The CSV cases every reader of CSV is tested against (csv_test: the reader at
// several block sizes; csv_store_test: ingest and spines). Each file has the header
// customer_id,event_timestamp,s (a string feature), distinct customer ids and
// event_timestamp 10, so ingest and spines read it alike. Test-only.
#ifndef STRATA_FEATURES_CSV_CASES_H_
#define STRATA_FEATURES_CSV_CASES_H_

#include <optional>
#include <string>
#include <vector>

namespace strata::features::csv_cases {

// A field as read: nullopt for an empty unquoted field (nothing), else its value
// ("" for a quoted empty string).
using CsvField = std::optional<std::string>;
using CsvRow = std::vector<CsvField>;

struct CsvCase {
  std::string name;
  std::string input;
  std::vector<CsvRow> rows;  // expected rows after the header, when no error
  uint64_t error_line = 0;   // expected "FILE:LINE:" of the error; 0: none
  std::string error;         // a part of the expected error message
};

inline const std::string kCaseHeader = "customer_id,event_timestamp,s";

// A valid case: `body` after the header line (LF).
inline CsvCase Ok(std::string name, std::string body, std::vector<CsvRow> rows) {
  return {std::move(name), kCaseHeader + "\n" + body, std::move(rows), 0, ""};
}
// A valid case given whole.
inline CsvCase OkWhole(std::string name, std::string input, std::vector<CsvRow> rows) {
  return {std::move(name), std::move(input), std::move(rows), 0, ""};
}
inline CsvCase Bad(std::string name, std::string input, uint64_t line, std::string error) {
  return {std::move(name), std::move(input), {}, line, std::move(error)};
}
inline CsvRow R(const char* id, CsvField s) { return {id, "10", std::move(s)}; }

inline std::vector<CsvCase> CsvCases() {
  const std::string h = kCaseHeader;
  const std::string hn = h + "\n";
  const std::string ragged = "fields, but the header has 3";
  const std::string utf8 = "invalid UTF-8";
  std::string many;
  std::vector<CsvRow> many_rows;
  for (int i = 1; i <= 300; ++i) {
    const std::string id = std::to_string(i);
    const std::string s = i % 3 == 0 ? "q,\n\"" + id : "v" + id;
    many += id + ",10," + (i % 3 == 0 ? "\"q,\n\"\"" + id + "\"" : s) +
            (i % 2 ? "\r\n" : "\n");
    many_rows.push_back({id, "10", s});
  }
  const std::string long_value(10000, 'x');
  return {
      // Line ends.
      Ok("lf", "1,10,a\n2,10,b\n", {R("1", "a"), R("2", "b")}),
      OkWhole("crlf", h + "\r\n1,10,a\r\n2,10,b\r\n", {R("1", "a"), R("2", "b")}),
      OkWhole("mixed", h + "\r\n1,10,a\n2,10,b\r\n3,10,c\n",
              {R("1", "a"), R("2", "b"), R("3", "c")}),
      Ok("no_final_lf", "1,10,a\n2,10,b", {R("1", "a"), R("2", "b")}),
      OkWhole("crlf_no_final", h + "\r\n1,10,a\r\n2,10,b", {R("1", "a"), R("2", "b")}),
      Ok("last_field_empty_no_final", "1,10,", {R("1", std::nullopt)}),
      Ok("last_quoted_no_final", "1,10,\"a,b\"", {R("1", "a,b")}),
      // The byte-order mark.
      OkWhole("bom", "\xEF\xBB\xBF" + hn + "1,10,a\n", {R("1", "a")}),
      OkWhole("bom_crlf", "\xEF\xBB\xBF" + h + "\r\n1,10,a\r\n", {R("1", "a")}),
      Bad("bom_then_error", "\xEF\xBB\xBF" + hn + "1,10\n", 2, ragged),
      // Quoting.
      Ok("comma", "1,10,\"a,b\"\n", {R("1", "a,b")}),
      Ok("doubled_quotes", "1,10,\"say \"\"hi\"\"\"\n", {R("1", "say \"hi\"")}),
      Ok("only_a_quote", "1,10,\"\"\"\"\n", {R("1", "\"")}),
      Ok("embedded_lf", "1,10,\"two\nlines\"\n2,10,b\n", {R("1", "two\nlines"), R("2", "b")}),
      Ok("embedded_crlf", "1,10,\"two\r\nlines\"\r\n", {R("1", "two\r\nlines")}),
      Ok("embedded_cr", "1,10,\"a\rb\"\n", {R("1", "a\rb")}),
      Ok("quoted_empty", "1,10,\"\"\n2,10,\n", {R("1", ""), R("2", std::nullopt)}),
      Ok("all_quoted", "\"1\",\"10\",\"x\"\n", {R("1", "x")}),
      OkWhole("quoted_header", "\"customer_id\",\"event_timestamp\",\"s\"\n1,10,a\n",
              {R("1", "a")}),
      Ok("long_quoted", "1,10,\"" + long_value + "\"\n", {R("1", long_value)}),
      Ok("quote_runs", "1,10,\"a\"\"\"\"b\"\n2,10,\"\"\"\"\"\"\n",
         {R("1", "a\"\"b"), R("2", "\"\"")}),
      Ok("many_rows", many, many_rows),
      // Blank lines.
      Ok("blank_middle", "1,10,a\n\n2,10,b\n", {R("1", "a"), R("2", "b")}),
      Ok("blank_crlf", "1,10,a\r\n\r\n2,10,b\r\n", {R("1", "a"), R("2", "b")}),
      Ok("blank_end", "1,10,a\n\n\n", {R("1", "a")}),
      OkWhole("blank_before_header", "\n\r\n" + hn + "1,10,a\n", {R("1", "a")}),
      // Values kept as they are.
      Ok("leading_space", "1,10, a\n", {R("1", " a")}),
      Ok("trailing_space", "1,10,a \n", {R("1", "a ")}),
      Ok("tab", "1,10,a\tb\n2,10,\tc\n", {R("1", "a\tb"), R("2", "\tc")}),
      Ok("unicode", "1,10,héllo\n2,10,日本\n3,10,\"😀,ü\"\n",
         {R("1", "héllo"), R("2", "日本"), R("3", "😀,ü")}),
      Ok("punctuation", "1,10,a!#$%&'()*+\n", {R("1", "a!#$%&'()*+")}),
      // Ragged rows.
      Bad("too_many", hn + "1,10,a,b\n", 2, "4 " + ragged),
      Bad("too_few", hn + "1,10,a\n2,10\n", 3, "2 " + ragged),
      Bad("spaces_line", hn + "1,10,a\n   \n", 3, "1 " + ragged),
      Bad("ragged_after_crlf", h + "\r\n1,10,a\r\n2,10,b\r\n3\r\n", 4, ragged),
      Bad("ragged_after_blank", hn + "\n\n1,10,a\n2\n", 5, ragged),
      Bad("ragged_after_multiline", hn + "1,10,\"a\nb\nc\"\n2,10\n", 5, ragged),
      Bad("ragged_after_many", hn + many + "7\n", 402, ragged),
      // Quotes.
      Bad("unterminated", hn + "1,10,\"open\n2,10,b\n", 2, "does not end"),
      Bad("unterminated_last", hn + "1,10,a\n2,10,\"open", 3, "does not end"),
      Bad("text_after_quote", hn + "1,10,\"a\"b\n", 2, "text after the closing quote"),
      Bad("space_after_quote", hn + "1,10,\"a\" \n", 2, "text after the closing quote"),
      Bad("quote_in_unquoted", hn + "1,10,a\"b\n", 2, "a quote inside an unquoted field"),
      Bad("space_then_quote", hn + "1,10, \"a\"\n", 2, "a quote inside an unquoted field"),
      Bad("quote_in_header", "cust\"omer_id,event_timestamp,s\n1,10,a\n", 1,
          "a quote inside an unquoted field"),
      Bad("text_after_quote_crlf", h + "\r\n1,10,a\r\n2,10,\"b\"c\r\n", 3,
          "text after the closing quote"),
      // Line ends that are not.
      Bad("lone_cr_in_field", hn + "1,10,a\rb\n", 2, "a CR not followed by LF"),
      Bad("lone_cr_line_end", hn + "1,10,a\r2,10,b\n", 2, "a CR not followed by LF"),
      Bad("cr_at_end", hn + "1,10,a\r", 2, "a CR not followed by LF"),
      Bad("cr_after_quote", hn + "1,10,\"a\"\rb\n", 2, "a CR not followed by LF"),
      Bad("lone_cr_header", "customer_id,event_timestamp,s\r1,10,a\n", 1,
          "a CR not followed by LF"),
      // Bytes that are not text.
      Bad("nul", hn + "1,10,a" + std::string(1, '\0') + "b\n", 2, "a NUL byte"),
      Bad("nul_quoted", hn + "1,10,\"a" + std::string(1, '\0') + "\"\n", 2, "a NUL byte"),
      Bad("nul_header", "customer_id" + std::string(1, '\0') + ",event_timestamp,s\n", 1,
          "a NUL byte"),
      Bad("utf8_ff", hn + "1,10,a\xff\n", 2, utf8),
      Bad("utf8_truncated", hn + "1,10,\xc3\n", 2, utf8),
      Bad("utf8_truncated_quoted", hn + "1,10,\"\xc3\"\n", 2, utf8),
      Bad("utf8_overlong", hn + "1,10,\xc0\xaf\n", 2, utf8),
      Bad("utf8_surrogate", hn + "1,10,\xed\xa0\x80\n", 2, utf8),
      Bad("utf8_too_big", hn + "1,10,\xf4\x90\x80\x80\n", 2, utf8),
      Bad("utf8_continuation", hn + "1,10,\x80\n", 2, utf8),
      Bad("utf8_header", "customer_id,event_timestamp,s\xe9\n1,10,a\n", 1, utf8),
      Bad("utf8_after_multiline", hn + "1,10,\"a\n\nb\"\n2,10,\xfe\n", 5, utf8),
      // Headers.
      Bad("duplicate_name", h + ",s\n1,10,a,b\n", 1, "column \"s\" appears twice"),
      Bad("duplicate_key", "customer_id,customer_id,event_timestamp,s\n1,1,10,a\n", 1,
          "appears twice"),
      Bad("empty_name", "customer_id,,event_timestamp,s\n1,,10,a\n", 1, "empty name"),
      Bad("empty_last_name", h + ",\n1,10,a,\n", 1, "empty name"),
      Bad("empty_quoted_name", h + ",\"\"\n1,10,a,b\n", 1, "empty name"),
      Bad("blank_lines_only", "\n\n\n", 4, "there is no header row"),
  };
}

}  // namespace strata::features::csv_cases

#endif  // STRATA_FEATURES_CSV_CASES_H_
