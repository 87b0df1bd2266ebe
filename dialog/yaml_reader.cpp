#include "dialog/yaml_reader.hpp"

#include "dialog/text.hpp"

#include <algorithm>
#include <map>

namespace triage::dialog::detail {

namespace {

std::string join(keys list) {
    std::string out;
    for (auto k : list) out += (out.empty() ? "" : ", ") + std::string(k);
    return out;
}

}  // namespace

bool valid_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

position at(const YAML::Mark& m) {
    if (m.is_null() || m.line < 0) return {};
    return {m.line + 1, m.column + 1};
}

position at_value(const YAML::Node& key, const YAML::Node& value) {
    return value.IsNull() ? at(key.Mark()) : at(value.Mark());
}

void yaml_reader::each(const YAML::Node& map, keys allowed, const std::string& context,
                       const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& fn,
                       std::string_view duplicate_what) {
    std::map<std::string, int> first_line;
    for (auto it = map.begin(); it != map.end(); ++it) {
        // Copies: `it->first` lives in a temporary proxy, so a reference to it would dangle.
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        if (!k.IsScalar()) {
            error(at(k.Mark()), "keys in " + context + " must be plain names");
            continue;
        }
        const std::string& name = k.Scalar();
        if (allowed.size() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            error(at(k.Mark()), "unknown key '" + name + "' in " + context + "; expected one of: " + join(allowed));
            continue;
        }
        auto [it_first, fresh] = first_line.emplace(name, at(k.Mark()).line);
        if (!fresh) {
            error(at(k.Mark()), "duplicate " + std::string(duplicate_what) + " '" + name + "' in " + context +
                                    " (first at line " + std::to_string(it_first->second) + ")");
            continue;
        }
        fn(name, k, v);
    }
}


bool yaml_reader::expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
    if (v.IsMap()) return true;
    error(at_value(k, v), what + " must be a map");
    return false;
}

bool yaml_reader::expect_sequence(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
    if (v.IsSequence()) return true;
    error(at_value(k, v), what + " must be a list");
    return false;
}

std::optional<std::string> yaml_reader::string_of(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
    if (v.IsScalar()) return v.Scalar();
    error(at_value(k, v), what + " must be a string");
    return std::nullopt;
}

std::optional<std::string> yaml_reader::name_of(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
    auto s = string_of(k, v, what);
    if (s && !valid_name(*s)) {
        error(at_value(k, v), what + " must be a name made of letters, digits, '_' and '-'");
        return std::nullopt;
    }
    return s;
}

std::vector<std::string> yaml_reader::strings_of(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
    std::vector<std::string> out;
    if (!expect_sequence(k, v, what)) return out;
    for (const auto& item : v) {
        if (item.IsScalar() && !text::trim(item.Scalar()).empty()) out.push_back(item.Scalar());
        else error(at_value(k, item), "each entry of " + what + " must be a non-empty string");
    }
    return out;
}

}  // namespace triage::dialog::detail
