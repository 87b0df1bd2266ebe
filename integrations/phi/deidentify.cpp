#include "integrations/phi/deidentify.hpp"

#include <array>
#include <regex>
#include <utility>

namespace triage::integrations::phi {
namespace {

// Applied in this order: an address holds numbers a phone pattern would take, and a date holds
// digits the long-number pattern would take.
const std::array<std::pair<std::regex, std::string>, 9>& patterns() {
    using std::regex;
    constexpr auto icase = regex::ECMAScript | regex::icase;
    static const std::array<std::pair<std::regex, std::string>, 9> p{{
        {regex(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)"), "[EMAIL]"},
        {regex(R"((https?://|www\.)[^\s]+)", icase), "[URL]"},
        {regex(R"(\b\d{1,5}\s+([A-Za-z]+\s+){1,3}(street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|way|court|ct|place|pl)\b\.?)",
               icase),
         "[ADDRESS]"},
        {regex(R"(\b(calle|avenida|av\.|avda\.?|paseo|camino)\s+([A-Za-z]+\s+){0,3}#?\d{1,5}\b)", icase), "[ADDRESS]"},
        {regex(R"(\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b)"), "[DATE]"},
        {regex(R"(\b(jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|may|june|july|august|september|october|november|december)\.?\s+\d{1,2}(st|nd|rd|th)?(,?\s+\d{4})?\b)",
               icase),
         "[DATE]"},
        {regex(R"(\b\d{1,2}\s+de\s+(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)(\s+de(l)?\s+\d{4})?\b)",
               icase),
         "[DATE]"},
        {regex(R"((\+?\d[\d\s().-]{5,}\d))"), "[PHONE]"},
        {regex(R"(\b(9\d|1[0-4]\d)(\s*(years?|yrs?|yo|y/o|anos|años)))", icase), "90+$2"},
    }};
    return p;
}

const std::regex& long_number() {
    static const std::regex r(R"(\b\d{5,}\b)");
    return r;
}

// A phone number has seven digits at least; fewer is a dose, a time or a temperature.
std::string replace_phones(const std::string& in, const std::regex& re) {
    std::string out;
    auto begin = std::sregex_iterator(in.begin(), in.end(), re);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        std::size_t digits = 0;
        for (char c : m.str()) digits += c >= '0' && c <= '9';
        if (digits < 7) continue;
        out.append(in, last, static_cast<std::size_t>(m.position()) - last);
        out += "[PHONE]";
        last = static_cast<std::size_t>(m.position() + m.length());
    }
    out.append(in, last, std::string::npos);
    return out;
}

bool ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool word_byte(char c) {
    return (c >= 'a' && c <= 'z') || ascii_upper(c) || static_cast<unsigned char>(c) >= 0x80 || c == '\'';
}

std::string lower(std::string_view w) {
    std::string s(w);
    for (char& c : s)
        if (ascii_upper(c)) c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// Titles and phrases after which a name follows: "Dr. Ruiz", "my name is Ana Lopez", "me llamo ana".
bool title(const std::string& w) {
    static const std::array<std::string_view, 12> t{"dr", "doctor", "doctora", "nurse", "mr", "mrs", "ms", "miss",
                                                     "sr", "sra", "srta", "dra"};
    for (auto c : t)
        if (w == c) return true;
    return false;
}

bool name_cue(const std::string& previous, const std::string& word) {
    if (title(word)) return true;
    static const std::array<std::string_view, 8> one{"named", "called", "llamo", "llama", "llamada", "llamado", "soy",
                                                      "im"};
    for (auto c : one)
        if (word == c) return true;
    static const std::array<std::pair<std::string_view, std::string_view>, 4> two{
        {{"name", "is"}, {"nombre", "es"}, {"this", "is"}, {"i", "am"}}};
    for (const auto& [a, b] : two)
        if (previous == a && word == b) return true;
    return false;
}

// Spanish accents and ñ, as UTF-8, to their plain letters.
std::string fold_accents(std::string_view w) {
    static const std::array<std::pair<std::string_view, char>, 12> map{{{"\xc3\xa1", 'a'}, {"\xc3\xa9", 'e'},
        {"\xc3\xad", 'i'}, {"\xc3\xb3", 'o'}, {"\xc3\xba", 'u'}, {"\xc3\xbc", 'u'}, {"\xc3\xb1", 'n'},
        {"\xc3\x81", 'a'}, {"\xc3\x89", 'e'}, {"\xc3\x8d", 'i'}, {"\xc3\x93", 'o'}, {"\xc3\x9a", 'u'}}};
    std::string out;
    for (std::size_t i = 0; i < w.size();) {
        bool done = false;
        for (const auto& [from, to] : map) {
            if (w.substr(i, from.size()) == from) {
                out.push_back(to);
                i += from.size();
                done = true;
                break;
            }
        }
        if (!done) out.push_back(w[i++]);
    }
    return out;
}

}  // namespace

void add_common_word(common_words& words, std::string_view entry) {
    if (entry.empty() || ascii_upper(entry.front()) || entry.find('\'') != std::string_view::npos) return;
    words.emplace(entry);
    words.insert(fold_accents(entry));
}

std::string deidentify(std::string_view text, const common_words& words) {
    std::string s(text);
    const auto& p = patterns();
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i].second == "[PHONE]") {
            // A run of five digits or more is a record number before it is a phone number.
            s = std::regex_replace(s, long_number(), "[ID]");
            s = replace_phones(s, p[i].first);
        } else {
            s = std::regex_replace(s, p[i].first, p[i].second);
        }
    }

    // Names: a word by word pass over what is left.
    std::string out;
    std::string prev;
    // Words still to read as a name after a cue: the first may be in lower case ("me llamo
    // ana") if it is no common word; the next ones (surnames) are names when capitalised.
    int after_cue = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (!word_byte(s[i]) || s[i] == '\'') {
            const bool stop = s[i] == '.' || s[i] == ',' || s[i] == '!' || s[i] == '?' || s[i] == ';' || s[i] == ':';
            if (stop && !(s[i] == '.' && title(prev))) after_cue = 0;
            out.push_back(s[i++]);
            continue;
        }
        std::size_t j = i;
        while (j < s.size() && word_byte(s[j])) ++j;
        const std::string_view w(s.data() + i, j - i);
        const std::string lw = lower(w);
        const bool capital = ascii_upper(w.front());
        const bool common = words.count(lw) != 0 || words.count(fold_accents(lw)) != 0;
        bool is_name = false;
        if (after_cue == 3) {
            is_name = capital || !common;
        } else if (after_cue > 0) {
            is_name = capital;
        } else if (capital && w.size() > 1 && !common) {
            // "ER", "COVID": all capitals are abbreviations, not names.
            bool all_caps = true;
            for (char c : w) all_caps = all_caps && !(c >= 'a' && c <= 'z');
            is_name = !all_caps;
        }
        if (is_name && out.ends_with("[NAME] ")) {
            out.pop_back();  // one tag for a full name
        } else if (is_name) {
            out += "[NAME]";
        } else {
            out.append(w);
        }
        after_cue = after_cue > 0 && is_name ? after_cue - 1 : 0;
        if (name_cue(prev, lw)) after_cue = 3;
        prev = lw;
        i = j;
    }
    return out;
}

}  // namespace triage::integrations::phi
