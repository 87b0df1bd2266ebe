#include "integrations/fhir/patients.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace asio = boost::asio;
namespace json = boost::json;

namespace triage::integrations::fhir {

namespace {

// Base letters of U+00C0..U+017F. An empty base is not a letter (U+00D7 x, U+00F7 /).
struct latin_range {
    char16_t first, last;
    const char* base;
};
constexpr latin_range latin[] = {
    {0x00C0, 0x00C5, "a"}, {0x00C6, 0x00C6, "ae"}, {0x00C7, 0x00C7, "c"}, {0x00C8, 0x00CB, "e"},
    {0x00CC, 0x00CF, "i"}, {0x00D0, 0x00D0, "d"}, {0x00D1, 0x00D1, "n"}, {0x00D2, 0x00D6, "o"},
    {0x00D7, 0x00D7, ""}, {0x00D8, 0x00D8, "o"}, {0x00D9, 0x00DC, "u"}, {0x00DD, 0x00DD, "y"},
    {0x00DE, 0x00DE, "th"}, {0x00DF, 0x00DF, "ss"}, {0x00E0, 0x00E5, "a"}, {0x00E6, 0x00E6, "ae"},
    {0x00E7, 0x00E7, "c"}, {0x00E8, 0x00EB, "e"}, {0x00EC, 0x00EF, "i"}, {0x00F0, 0x00F0, "d"},
    {0x00F1, 0x00F1, "n"}, {0x00F2, 0x00F6, "o"}, {0x00F7, 0x00F7, ""}, {0x00F8, 0x00F8, "o"},
    {0x00F9, 0x00FC, "u"}, {0x00FD, 0x00FD, "y"}, {0x00FE, 0x00FE, "th"}, {0x00FF, 0x00FF, "y"},
    {0x0100, 0x0105, "a"}, {0x0106, 0x010D, "c"}, {0x010E, 0x0111, "d"}, {0x0112, 0x011B, "e"},
    {0x011C, 0x0123, "g"}, {0x0124, 0x0127, "h"}, {0x0128, 0x0131, "i"}, {0x0132, 0x0133, "ij"},
    {0x0134, 0x0135, "j"}, {0x0136, 0x0138, "k"}, {0x0139, 0x0142, "l"}, {0x0143, 0x014B, "n"},
    {0x014C, 0x0151, "o"}, {0x0152, 0x0153, "oe"}, {0x0154, 0x0159, "r"}, {0x015A, 0x0161, "s"},
    {0x0162, 0x0167, "t"}, {0x0168, 0x0173, "u"}, {0x0174, 0x0175, "w"}, {0x0176, 0x0178, "y"},
    {0x0179, 0x017E, "z"}, {0x017F, 0x017F, "s"},
};

const char* latin_base(char16_t cp) {
    for (const auto& r : latin)
        if (cp >= r.first && cp <= r.last) return r.base;
    return nullptr;
}

// The folding of patients.hpp. Separators become one space when `words`, else nothing.
std::string fold(std::string_view in, bool words) {
    std::string out;
    auto separate = [&] {
        if (words && !out.empty() && out.back() != ' ') out += ' ';
    };
    for (std::size_t i = 0; i < in.size();) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
            else separate();
            ++i;
            continue;
        }
        std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (len == 1 || i + len > in.size()) {  // not UTF-8: a separator
            separate();
            ++i;
            continue;
        }
        if (len == 2) {
            const auto c2 = static_cast<unsigned char>(in[i + 1]);
            const auto cp = static_cast<char16_t>(((c & 0x1F) << 6) | (c2 & 0x3F));
            if (cp >= 0x0300 && cp <= 0x036F) {  // a combining accent (decomposed text)
                i += 2;
                continue;
            }
            if (const char* base = latin_base(cp)) {
                if (*base) out += base;
                else separate();
                i += 2;
                continue;
            }
            if (cp < 0x00C0) {  // Latin-1 punctuation and spaces
                separate();
                i += 2;
                continue;
            }
        }
        out.append(in.substr(i, len));  // another script: as it is
        i += len;
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::vector<std::string> words_of(std::string_view s) {
    std::vector<std::string> out;
    const std::string f = fold(s, true);
    for (std::size_t i = 0; i < f.size();) {
        const std::size_t sp = f.find(' ', i);
        const std::size_t end = sp == std::string::npos ? f.size() : sp;
        if (end > i) out.push_back(f.substr(i, end - i));
        i = end + 1;
    }
    return out;
}

std::string digits(std::string_view s) {
    std::string out;
    for (char ch : s)
        if (ch >= '0' && ch <= '9') out += ch;
    return out;
}

// YYYY-MM-DD and a real calendar day (a server answers an impossible one with an error that
// quotes it).
bool valid_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (d[i] < '0' || d[i] > '9') return false;
    auto num = [&](std::size_t at, std::size_t n) {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (d[i] - '0');
        return v;
    };
    const std::chrono::year_month_day ymd{std::chrono::year{num(0, 4)}, std::chrono::month{static_cast<unsigned>(num(5, 2))},
                                          std::chrono::day{static_cast<unsigned>(num(8, 2))}};
    return ymd.ok();
}

std::string trim(std::string_view s) {
    const std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

// "Linh  Thi" -> {"Linh", "Thi"}, as the patient wrote them (for a new Patient's given names).
std::vector<std::string> split_spaces(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : s) {
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += ch;
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

bool has_phone(const patient_query& q) { return digits(q.phone).size() >= 7; }

// Not to be matched: inactive, or merged into another record.
bool usable(const json::value& p) {
    const json::object* o = p.if_object();
    if (!o) return false;
    if (const json::value* active = o->if_contains("active"); active && active->is_bool() && !active->as_bool()) return false;
    if (const json::array* links = array_field(p, "link")) {
        for (const auto& l : *links)
            if (string_field(l, "type") == "replaced-by") return false;
    }
    return true;
}

bool has_identifier(const json::value& p, const std::string& system, const std::string& value) {
    if (const json::array* ids = array_field(p, "identifier")) {
        for (const auto& i : *ids)
            if (string_field(i, "system") == system && string_field(i, "value") == value) return true;
    }
    return false;
}

// Every word of `given` is a prefix of a given name of `name`.
bool given_matches(const json::value& name, const std::vector<std::string>& wanted) {
    std::vector<std::string> have;
    if (const json::array* given = array_field(name, "given")) {
        for (const auto& g : *given)
            if (g.is_string())
                for (auto& w : words_of(g.as_string())) have.push_back(std::move(w));
    }
    return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
        return std::any_of(have.begin(), have.end(), [&](const std::string& h) { return h.starts_with(w); });
    });
}

// Nothing `q` says contradicts `p` (each part checked only when given).
bool agrees(const json::value& p, const patient_query& q) {
    if (!q.family.empty() || !q.given.empty()) {
        const std::string family = fold_name(q.family);
        const std::vector<std::string> given = words_of(q.given);
        const json::array* names = array_field(p, "name");
        const bool any = names && std::any_of(names->begin(), names->end(), [&](const json::value& n) {
            return (q.family.empty() || fold_name(string_field(n, "family")) == family) && given_matches(n, given);
        });
        if (!any) return false;
    }
    if (!q.birth_date.empty() && string_field(p, "birthDate") != q.birth_date) return false;
    if (has_phone(q)) {
        const json::array* telecom = array_field(p, "telecom");
        const bool any = telecom && std::any_of(telecom->begin(), telecom->end(), [&](const json::value& t) {
            const std::string system = string_field(t, "system");
            return (system == "phone" || system == "sms") && same_phone(q.phone, string_field(t, "value"));
        });
        if (!any) return false;
    }
    return true;
}

// "…/Patient/ID/_history/V" or "Patient/ID" -> "ID".
std::string id_from_location(std::string_view loc) {
    const std::size_t at = loc.find("Patient/");
    if (at == std::string_view::npos) return {};
    std::string_view rest = loc.substr(at + 8);
    return std::string(rest.substr(0, rest.find('/')));
}

}  // namespace

const char* to_string(match_result::kind k) noexcept {
    switch (k) {
    case match_result::kind::matched: return "matched";
    case match_result::kind::ambiguous: return "ambiguous";
    case match_result::kind::not_found: return "not_found";
    }
    return "not_found";
}

std::string fold_name(std::string_view name) { return fold(name, false); }

bool same_phone(std::string_view given, std::string_view stored) {
    const std::string a = digits(given), b = digits(stored);
    const std::size_t n = std::min({a.size(), b.size(), std::size_t{10}});
    if (n < 7) return false;
    return a.compare(a.size() - n, n, b, b.size() - n, n) == 0;
}

asio::awaitable<outcome<match_result>> patient_matcher::async_match(patient_query pq) {
    outcome<match_result> out;
    if (!pq.identifier_system.empty() && !pq.identifier_value.empty()) {
        std::string query = "identifier=" + query_value(pq.identifier_system + "|" + pq.identifier_value);
        auto found = co_await c_.async_search("Patient", query);
        if (!found) {
            out.error = found.error;
            co_return out;
        }
        std::vector<const json::value*> usable_ones;
        for (const auto& p : *found.value) {
            // The server's token search may ignore case; identifiers do not.
            if (usable(p) && has_identifier(p, pq.identifier_system, pq.identifier_value)) usable_ones.push_back(&p);
        }
        if (usable_ones.size() == 1) {
            const bool ok = agrees(*usable_ones.front(), pq);
            out.value = match_result{ok ? match_result::kind::matched : match_result::kind::ambiguous,
                                     ok ? string_field(*usable_ones.front(), "id") : std::string(), 1};
            co_return out;
        }
        if (usable_ones.size() > 1) {
            out.value = match_result{match_result::kind::ambiguous, {}, static_cast<int>(usable_ones.size())};
            co_return out;
        }
    }
    if (fold_name(pq.family).empty() || words_of(pq.given).empty() || !valid_date(pq.birth_date)) {
        out.value = match_result{match_result::kind::not_found, {}, 0};
        co_return out;
    }
    // The server's string search is only a first cut (a prefix, or with some servers a
    // substring, of any name): every candidate is checked again below.
    std::string query = "family=" + query_value(trim(pq.family)) + "&birthdate=" + query_value(pq.birth_date) + "&_count=50";
    auto found = co_await c_.async_search("Patient", query);
    if (!found) {
        out.error = found.error;
        co_return out;
    }
    std::vector<std::string> ids;
    for (const auto& p : *found.value) {
        if (!usable(p) || !agrees(p, pq)) continue;
        std::string id = string_field(p, "id");
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
    match_result r;
    r.candidates = static_cast<int>(ids.size());
    r.what = ids.empty() ? match_result::kind::not_found
             : ids.size() == 1 ? match_result::kind::matched
                               : match_result::kind::ambiguous;
    if (ids.size() == 1) r.patient_id = ids.front();
    out.value = std::move(r);
    co_return out;
}

asio::awaitable<outcome<std::string>> patient_matcher::async_create(patient_query pq) {
    outcome<std::string> out;
    if (!allow_create_) {
        out.error = {failure_kind::unavailable, 0, {}, "FHIR POST Patient: creating patients is not allowed here"};
        co_return out;
    }
    pq.family = trim(pq.family);
    pq.phone = trim(pq.phone);
    const std::vector<std::string> given_words = split_spaces(pq.given);
    if (fold_name(pq.family).empty() || given_words.empty() || !valid_date(pq.birth_date)) {
        out.error = {failure_kind::unavailable, 0, {}, "FHIR POST Patient: not sent, family, given and birth date are required"};
        co_return out;
    }
    json::object name{{"family", pq.family}};
    json::array given;
    for (const auto& w : given_words) given.push_back(json::string(w));
    name["given"] = std::move(given);
    json::object patient{{"resourceType", "Patient"}, {"active", true}};
    const bool with_identifier = !pq.identifier_system.empty() && !pq.identifier_value.empty();
    if (with_identifier) {
        patient["identifier"] = json::array{json::object{{"system", pq.identifier_system}, {"value", pq.identifier_value}}};
    }
    patient["name"] = json::array{std::move(name)};
    patient["birthDate"] = pq.birth_date;
    if (!pq.phone.empty()) patient["telecom"] = json::array{json::object{{"system", "phone"}, {"value", pq.phone}}};

    std::vector<std::pair<std::string, std::string>> headers;
    if (with_identifier) headers.emplace_back("If-None-Exist", "identifier=" + pq.identifier_system + "|" + pq.identifier_value);
    std::string body = json::serialize(patient);
    auto created = co_await c_.async_request("POST", "Patient", body, headers, with_identifier);
    if (!created) {
        out.error = created.error;
        co_return out;
    }
    const json::value& res = created.value->resource;
    if (created.value->status == 200 && res.is_object()) {
        // Someone with that identifier exists already: only the same person will do.
        if (!usable(res) || !has_identifier(res, pq.identifier_system, pq.identifier_value) || !agrees(res, pq)) {
            out.error = {failure_kind::http_error, 200, {}, "FHIR POST Patient: another patient holds that identifier"};
            co_return out;
        }
    }
    std::string id = string_field(res, "id");
    if (id.empty()) id = id_from_location(created.value->location);
    if (id.empty()) {
        out.error = {failure_kind::bad_response, created.value->status, {}, "FHIR POST Patient: no id in the answer"};
        co_return out;
    }
    out.value = std::move(id);
    co_return out;
}

}  // namespace triage::integrations::fhir
