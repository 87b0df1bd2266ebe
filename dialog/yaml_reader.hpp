#pragma once
// Internal to triage_dialog: reading yaml-cpp nodes with diagnostics instead of exceptions.
// Every accessor reports what is wrong at the offending node (file, 1-based line and column) and
// returns nothing, so the loader can carry on and report every problem in one pass.

#include "dialog/flow_checks.hpp"  // position
#include "triage-rules/rule_pack.hpp"  // diagnostic

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::dialog::detail {

using keys = std::initializer_list<std::string_view>;

position at(const YAML::Mark& m);
// A null value (`say:` with nothing after it) carries the mark of whatever follows it, so
// problems with it are reported at its key.
position at_value(const YAML::Node& key, const YAML::Node& value);
// Letters, digits, '_' and '-': state ids, slot, var and intent names.
bool valid_name(std::string_view s);

class yaml_reader {
public:
    yaml_reader(std::string_view file, std::vector<rules::diagnostic>& out) : file_(file), out_(out) {}

    void error(position p, std::string msg) { out_.push_back({file_, p.line, p.column, std::move(msg)}); }

    // Visits each pair of `map` once, in file order. Reports keys that are not scalars, not in
    // `allowed` (an empty list allows any name) or repeated: yaml-cpp keeps every duplicate pair
    // and `node[key]` would silently pick the first.
    void each(const YAML::Node& map, keys allowed, const std::string& context,
              const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& fn,
              std::string_view duplicate_what = "key");

    // `k` is the key the value belongs to; `what` names it in messages ("state 'x': `say`").
    bool expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& what);
    bool expect_sequence(const YAML::Node& k, const YAML::Node& v, const std::string& what);
    std::optional<std::string> string_of(const YAML::Node& k, const YAML::Node& v, const std::string& what);
    std::optional<std::string> name_of(const YAML::Node& k, const YAML::Node& v, const std::string& what);
    std::vector<std::string> strings_of(const YAML::Node& k, const YAML::Node& v, const std::string& what);

protected:
    std::string file_;
    std::vector<rules::diagnostic>& out_;
};

}  // namespace triage::dialog::detail
