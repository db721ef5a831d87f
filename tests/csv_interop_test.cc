// CSV that other tools write, read by strata, and CSV strata writes, read by other
// tools: Python's csv module (Debian's /usr/bin/python3), pandas when installed and
// DuckDB when bench/node_modules has it (npm ci --prefix bench).
// Through the real CLI, on a local store and through a server.
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/csv.h"
#include "features/csv_cases.h"
#include "gtest/gtest.h"
#include "tests/subprocess.h"
#include "tests/testing.h"

namespace strata {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// write.py MODE VALUES OUT: writes the table in VALUES (a row per line, fields as
// hex separated by spaces) as CSV with csv.writer (MODE csv: CRLF line ends) or
// pandas' to_csv (MODE pandas: the first row is the header).
// check.py MODE CSV VALUES [FEATURES]: reads CSV with csv.reader (MODE csv) or
// pandas.read_csv (MODE pandas, all columns as strings), or a table as VALUES holds
// one (MODE hex: DuckDB's reading, below), and checks it holds VALUES;
// with FEATURES (a row per line, hex) each row's extra columns must hold them, numbers
// compared as numbers. Prints OK or the first difference.
constexpr const char* kScript = R"PY(
import binascii, csv, sys

def load(path):
    rows = []
    with open(path, encoding='ascii') as f:
        for line in f:
            line = line.rstrip('\n')
            rows.append([binascii.unhexlify(x).decode('utf-8') for x in line.split(' ')]
                        if line else [''])
    return rows

def same(a, b):
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False

def main():
    tool, mode = sys.argv[1], sys.argv[2]
    if tool == 'write':
        rows = load(sys.argv[3])
        if mode == 'csv':
            with open(sys.argv[4], 'w', newline='', encoding='utf-8') as f:
                csv.writer(f).writerows(rows)
        else:
            import pandas
            pandas.DataFrame(rows[1:], columns=rows[0]).to_csv(sys.argv[4], index=False)
        return
    if mode == 'csv':
        with open(sys.argv[3], newline='', encoding='utf-8') as f:
            got = list(csv.reader(f))
    elif mode == 'hex':
        got = load(sys.argv[3])
    else:
        import pandas
        frame = pandas.read_csv(sys.argv[3], dtype=str, keep_default_na=False)
        got = [list(frame.columns)] + frame.values.tolist()
    want = load(sys.argv[4])
    extra = load(sys.argv[5]) if len(sys.argv) > 5 else None
    if len(got) != len(want):
        print('rows: got %d, want %d' % (len(got), len(want)))
        return
    if mode == 'hex':  # DuckDB trims column names, quoted or not
        got[0], want[0] = [x.strip() for x in got[0]], [x.strip() for x in want[0]]
    for i, (g, w) in enumerate(zip(got, want)):
        e = extra[i] if extra is not None else []
        if len(g) != len(w) + len(e) or g[:len(w)] != w or not all(
                same(a, b) for a, b in zip(g[len(w):], e)):
            print('row %d: got %r, want %r + %r' % (i, g, w, e))
            return
    print('OK %d' % len(got))

main()
)PY";

// duckdb.mjs PACKAGE_JSON CSV OUT: reads CSV with DuckDB's read_csv (all columns as
// text; NULL as empty) through bench/node_modules, writes it as check.py's VALUES.
// (DuckDB trims blanks around column names, even quoted ones: check.py compares the
// header trimmed.)
constexpr const char* kDuckDbScript = R"JS(
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const [pkg, csv, out] = process.argv.slice(2);
const require = createRequire(pkg);
const { DuckDBInstance } = await import(require.resolve('@duckdb/node-api'));
const con = await (await DuckDBInstance.create(':memory:')).connect();
// comment = '': else DuckDB's sniffer may take a '#' that starts rows for a comment
// mark and skip those rows.
const r = await con.runAndReadAll(`SELECT * FROM read_csv('${csv}', all_varchar = true,
    header = true, delim = ',', quote = '"', escape = '"', new_line = '\\n',
    comment = '')`);
const hex = (s) => Buffer.from(s ?? '', 'utf8').toString('hex');
const rows = [r.columnNames(), ...r.getRows()].map((row) => row.map(hex).join(' '));
writeFileSync(out, rows.join('\n') + '\n');
)JS";

constexpr const char* kDuckDbPackage = STRATA_SOURCE_DIR "/bench/package.json";

// DuckDB's Node package, when bench/node_modules has it (npm ci --prefix bench).
bool HaveDuckDb() {
  return std::filesystem::exists(STRATA_SOURCE_DIR "/bench/node_modules/@duckdb/node-api");
}

bool HavePandas() {
  return testing::RunProcess({kPython, "-c", "import pandas"}).exit_code == 0;
}

// Awkward strings: separators, quotes, line ends, blanks, empty, unicode. Without
// `lone_cr`, a CR only in CRLF: pandas' to_csv writes a lone CR unquoted, which no
// reader can tell from a line end (strata refuses it).
std::string AwkwardString(std::mt19937_64& rng, bool lone_cr = true) {
  static const char* const kPieces[] = {
      ",",    "\"", "\r",   "\n", "\r\n", " ",  "\t", "",    "é", "日本", "😀",
      "a",    "x y", "\"\"", "'", ";",    "NA", "#",  "null", "0", "-1",  "\\"};
  std::string s;
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    const char* piece = kPieces[rng() % std::size(kPieces)];
    s += !lone_cr && std::string(piece) == "\r" ? "\r\n" : piece;
  }
  return s;
}

std::string HexRow(const std::vector<std::string>& row) {
  std::vector<std::string> hex;
  for (const auto& f : row) hex.push_back(absl::BytesToHexString(f));
  return absl::StrJoin(hex, " ");
}

class CsvInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_dir_ = dir_.Sub("store");
    script_ = WriteFile("tool.py", kScript);
    ASSERT_EQ(Strata({"init"}).exit_code, 0);
    const std::string defs = WriteFile("defs.yaml", features::csv_cases::kCaseDefinitions);
    auto apply = Strata({"apply", defs});
    ASSERT_EQ(apply.exit_code, 0) << apply.err;
  }

  void TearDown() override {
    if (server_ != nullptr) {
      std::vector<std::string> lines;
      server_->Kill(&lines);
    }
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::string WriteRows(const std::string& name,
                        const std::vector<std::vector<std::string>>& rows) {
    std::string text;
    for (const auto& row : rows) absl::StrAppend(&text, HexRow(row), "\n");
    return WriteFile(name, text);
  }

  testing::ProcessResult Strata(std::vector<std::string> args) {
    std::vector<std::string> argv = {STRATA_BINARY, "--store", store_dir_};
    if (!server_url_.empty()) argv = {STRATA_BINARY, "--server", server_url_};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv);
  }

  // DuckDB's reading of `csv` checked as check.py's MODE hex does.
  std::string DuckDbCheck(const std::string& csv, const std::string& values,
                          const std::string& features = "") {
    const std::string out = csv + ".duckdb.hex";
    auto r = testing::RunProcess(
        {"/usr/bin/env", "node", WriteFile("duckdb.mjs", kDuckDbScript), kDuckDbPackage,
         csv, out});
    if (r.exit_code != 0) return "duckdb.mjs failed: " + r.err;
    std::vector<std::string> args = {"check", "hex", out, values};
    if (!features.empty()) args.push_back(features);
    return Python(args);
  }

  std::string Python(std::vector<std::string> args) {
    args.insert(args.begin(), {kPython, script_});
    auto r = testing::RunProcess(args);
    return r.out + r.err;
  }

  void Serve(const std::string& flags = "") {
    server_url_ = testing::StartServer(std::string(STRATA_BINARY) + " --store " +
                                           store_dir_ + " serve --listen 127.0.0.1:0 -q " +
                                           flags + " 2>&1",
                                       &server_);
    ASSERT_FALSE(server_url_.empty());
  }

  testing::ScratchDir dir_;
  std::string store_dir_, script_, server_url_;
  std::unique_ptr<testing::ChildProcess> server_;
};

// Random tables written by strata's writer read back by Python's csv (and pandas)
// as the same values.
TEST_F(CsvInteropTest, WriterRoundTripsThroughPython) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  const bool pandas = HavePandas();
  const bool duckdb = HaveDuckDb();
  if (!duckdb) std::cerr << "bench/node_modules has no DuckDB: DuckDB is not checked\n";
  for (int t = 0; t < 40; ++t) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, ", table ", t));
    const size_t columns = 2 + rng() % 4;
    std::vector<std::vector<std::string>> rows;
    std::string csv;
    for (size_t r = 0; r < 1 + rng() % 30; ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < columns; ++c) {
        // Header names distinct and non-empty (pandas renames repeats).
        row.push_back(r == 0 ? absl::StrCat(AwkwardString(rng), "#", c)
                             : AwkwardString(rng));
        if (c > 0) csv.push_back(',');
        features::AppendCsvField(row.back(), rng() % 2 == 0, &csv);
      }
      csv += "\n";
      rows.push_back(std::move(row));
    }
    const std::string path = WriteFile("table.csv", csv);
    const std::string values = WriteRows("table.hex", rows);
    EXPECT_EQ(Python({"check", "csv", path, values}),
              absl::StrCat("OK ", rows.size(), "\n"));
    if (pandas) {
      EXPECT_EQ(Python({"check", "pandas", path, values}),
                absl::StrCat("OK ", rows.size(), "\n"));
    }
    if (duckdb) {
      EXPECT_EQ(DuckDbCheck(path, values), absl::StrCat("OK ", rows.size(), "\n"));
    }
  }
}

// Files that Python's csv.writer (CRLF) and pandas' to_csv write, ingested and used
// as spines; the results read back by both to the spine's values and the features,
// on a local store and through a server, saved and reproduced.
TEST_F(CsvInteropTest, PythonFilesIngestAndJoinBothWays) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  constexpr int kCustomers = 50;
  std::vector<std::string> modes = {"csv"};
  if (HavePandas()) {
    modes.push_back("pandas");
  } else {
    std::cerr << "pandas is not installed: only Python's csv module is checked\n";
  }
  for (const std::string& mode : modes) {
    SCOPED_TRACE(mode);
    const bool lone_cr = mode == "csv";
    std::vector<std::vector<std::string>> data = {
        {"customer_id", "event_timestamp", "s", "x"}};
    std::vector<std::string> s(kCustomers + 1);
    for (int i = 1; i <= kCustomers; ++i) {
      s[i] = AwkwardString(rng, lone_cr);
      data.push_back({absl::StrCat(i), "10", s[i], absl::StrCat(i, ".5")});
    }
    std::vector<std::vector<std::string>> spine = {
        {"customer_id", "event_timestamp", "label", " note "}};
    std::vector<std::vector<std::string>> features = {{"s", "x"}};
    for (int r = 0; r < 200; ++r) {
      const int id = 1 + static_cast<int>(rng() % kCustomers);
      spine.push_back({absl::StrCat(id), "100", AwkwardString(rng, lone_cr),
                       AwkwardString(rng, lone_cr)});
      features.push_back({s[id], absl::StrCat(id, ".5")});
    }
    const std::string data_hex = WriteRows("data-" + mode + ".hex", data);
    const std::string spine_hex = WriteRows("spine-" + mode + ".hex", spine);
    const std::string features_hex = WriteRows("features-" + mode + ".hex", features);
    const std::string data_csv = dir_.Sub("data-" + mode + ".csv");
    const std::string spine_csv = dir_.Sub("spine-" + mode + ".csv");
    ASSERT_EQ(Python({"write", mode, data_hex, data_csv}), "");
    ASSERT_EQ(Python({"write", mode, spine_hex, spine_csv}), "");
    auto in = Strata({"ingest", "v", data_csv});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    for (bool served : {false, true}) {
      SCOPED_TRACE(served ? "through a server" : "local store");
      if (served && server_url_.empty()) Serve();
      const std::string out = dir_.Sub(absl::StrCat("out-", mode, served, ".csv"));
      auto h = Strata({"historical", "--spine", spine_csv, "--features", "v:s,v:x", "-o",
                       out});
      ASSERT_EQ(h.exit_code, 0) << h.err;
      for (const std::string& reader : modes) {
        EXPECT_EQ(Python({"check", reader, out, spine_hex, features_hex}), "OK 201\n")
            << reader;
      }
      if (HaveDuckDb()) {
        EXPECT_EQ(DuckDbCheck(out, spine_hex, features_hex), "OK 201\n") << "DuckDB";
      }
      const std::string name = absl::StrCat("train-", mode, served);
      const std::string saved_out = out + ".saved";
      auto saved = Strata({"historical", "--spine", spine_csv, "--features", "v:s,v:x",
                           "--save", "dataset/" + name, "-o", saved_out});
      ASSERT_EQ(saved.exit_code, 0) << saved.err;
      EXPECT_EQ(Python({"check", "csv", saved_out, spine_hex, features_hex}), "OK 201\n");
      auto repro = Strata({"reproduce", "dataset/" + name});
      EXPECT_EQ(repro.exit_code, 0) << repro.err;
      EXPECT_EQ(repro.out.rfind("identical: ", 0), 0u) << repro.out;
    }
    std::vector<std::string> lines;
    server_->Kill(&lines);
    server_.reset();
    server_url_.clear();
  }
}

// A server refuses records longer than its --max-record-bytes with 413 (the CLI: exit
// 1, naming the limit and the line); the CLI refuses /dev/zero before sending it.
TEST_F(CsvInteropTest, ServerRefusesLongRecords) {
  for (const char* bad : {"0", "-5", "1073741825"}) {
    auto r = Strata({"serve", "--listen", "127.0.0.1:0", "--max-record-bytes", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--max-record-bytes"), std::string::npos) << r.err;
  }
  Serve("--max-record-bytes 1000");
  const std::string file = WriteFile(
      "long.csv", "customer_id,event_timestamp,s\n1,10,a\n2,10," + std::string(2000, 'b') +
                      "\n");
  auto in = Strata({"ingest", "v", file});
  EXPECT_EQ(in.exit_code, 1) << in.err;
  EXPECT_NE(in.err.find(file + ":3: a record is longer than the limit of 1000 bytes"),
            std::string::npos)
      << in.err;
  auto h = Strata({"historical", "--spine", file, "--features", "v:s"});
  EXPECT_EQ(h.exit_code, 1) << h.err;
  EXPECT_NE(h.err.find(file + ":3: a record is longer than the limit of 1000 bytes"),
            std::string::npos)
      << h.err;
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"ingest", "v", "/dev/zero"},
        std::vector<std::string>{"historical", "--spine", "/dev/zero", "--features", "v:s"}}) {
    auto r = Strata(command);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("/dev/zero:1: a record is longer than the limit of 16777216"),
              std::string::npos)
        << r.err;
  }
}

}  // namespace
}  // namespace strata
