#include "dialog/answer.hpp"

#include "dialog/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

namespace triage::dialog {

namespace {

namespace chr = std::chrono;

constexpr std::array<std::string_view, 21> yes_phrases = {
    "yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "of course", "yes please", "correct", "right",
    "si", "sip", "claro", "de acuerdo", "vale", "por supuesto", "si por favor", "claro que si", "esta bien"};
constexpr std::array<std::string_view, 14> no_phrases = {
    "no", "n", "nope", "nah", "no thanks", "no thank you", "not really", "not now", "no gracias",
    "ahora no", "para nada", "no por favor", "de ninguna manera", "nada"};
// A reply that starts with one of these and says nothing contrary ("yes I want to continue").
constexpr std::array<std::string_view, 9> yes_openers = {"yes", "yeah", "yep", "sure", "ok", "okay", "si", "claro", "vale"};
constexpr std::array<std::string_view, 3> no_openers = {"no", "nope", "nah"};

template <std::size_t N>
bool among(const std::array<std::string_view, N>& list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

std::optional<std::string> yes_no(std::string_view folded) {
    if (among(yes_phrases, folded)) return "yes";
    if (among(no_phrases, folded)) return "no";
    auto w = text::words(folded);
    if (w.empty()) return std::nullopt;
    bool says_no = std::any_of(w.begin(), w.end(), [](std::string_view x) { return x == "no" || x == "not" || x == "don"; });
    if (among(yes_openers, w.front()) && !says_no) return "yes";
    if (among(no_openers, w.front())) return "no";
    return std::nullopt;
}

std::optional<std::string> choice(const flow_state& s, std::string_view folded, std::string_view intent) {
    // 1. The whole message is a value, a label, a synonym or an option number.
    for (const auto& c : s.choices) {
        if (text::fold(c.value) == folded) return c.value;
        for (const auto& [lang, label] : c.label)
            if (text::fold(label) == folded) return c.value;
        for (const auto& syn : c.synonyms)
            if (text::fold(syn) == folded) return c.value;
    }
    int number = 0;
    auto [end, ec] = std::from_chars(folded.data(), folded.data() + folded.size(), number);
    if (ec == std::errc{} && end == folded.data() + folded.size() && number >= 1 &&
        number <= static_cast<int>(s.choices.size()))
        return s.choices[static_cast<std::size_t>(number - 1)].value;
    // 2. The classifier recognised what the patient wants.
    if (!intent.empty() && intent != "other")
        for (const auto& c : s.choices)
            if (c.value == intent || std::find(c.intents.begin(), c.intents.end(), intent) != c.intents.end())
                return c.value;
    // 3. Exactly one option's label or synonym appears inside a longer message; if two do ("in
    // person or by phone") the patient is asked again rather than guessed for. Very short phrases
    // ("no", "ok") are left out: they occur in too many sentences to mean the option.
    const choice_option* found = nullptr;
    for (const auto& c : s.choices) {
        std::vector<std::string> phrases(c.synonyms.begin(), c.synonyms.end());
        for (const auto& [lang, label] : c.label) phrases.push_back(label);
        bool hit = std::any_of(phrases.begin(), phrases.end(), [&](const std::string& p) {
            std::string fp = text::fold(p);
            return fp.size() >= 4 && text::contains_phrase(folded, fp);
        });
        if (!hit) continue;
        if (found) return std::nullopt;
        found = &c;
    }
    if (found) return found->value;
    return std::nullopt;
}

std::optional<int> number_of(std::string_view s) {
    if (s.empty() || s.size() > 4) return std::nullopt;
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string iso(chr::year_month_day d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

std::optional<std::string> date(std::string_view raw, std::string_view folded, chr::system_clock::time_point now) {
    const chr::sys_days today = chr::floor<chr::days>(now);
    if (folded == "today" || folded == "hoy") return iso(today);
    if (folded == "tomorrow" || folded == "manana") return iso(today + chr::days{1});
    if (folded == "day after tomorrow" || folded == "pasado manana") return iso(today + chr::days{2});

    std::string_view t = text::trim(raw);
    char sep = t.find('-') != std::string_view::npos ? '-' : '/';
    std::array<std::string_view, 3> parts;
    std::size_t n = 0, start = 0;
    for (std::size_t i = 0; i <= t.size(); ++i) {
        if (i == t.size() || t[i] == sep) {
            if (n == parts.size()) return std::nullopt;
            parts[n++] = t.substr(start, i - start);
            start = i + 1;
        }
    }
    if (n != 3) return std::nullopt;
    auto a = number_of(parts[0]), b = number_of(parts[1]), c = number_of(parts[2]);
    if (!a || !b || !c) return std::nullopt;
    int y = 0, m = 0, d = 0;
    if (sep == '-' && parts[0].size() == 4) {
        y = *a, m = *b, d = *c;
    } else if (sep == '/' && parts[2].size() == 4) {
        // US order; a first number over 12 can only be a day, as Spanish speakers often write.
        bool day_first = *a > 12 && *b <= 12;
        y = *c, m = day_first ? *b : *a, d = day_first ? *a : *b;
    } else {
        return std::nullopt;
    }
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
    chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(m)}, chr::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return iso(ymd);
}

std::optional<std::string> phone(std::string_view raw) {
    std::string_view t = text::trim(raw);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    std::string digits;
    for (char ch : t) {
        if (ch >= '0' && ch <= '9') digits.push_back(ch);
        else if (ch != ' ' && ch != '-' && ch != '.' && ch != '(' && ch != ')') return std::nullopt;
    }
    if (digits.size() < 7 || digits.size() > 15) return std::nullopt;
    return digits;
}

}  // namespace

bool is_bare_yes_no(std::string_view patient_text) {
    std::string folded = text::fold(patient_text);
    return among(yes_phrases, folded) || among(no_phrases, folded);
}

std::optional<std::string> interpret_answer(const flow_state& s, std::string_view patient_text, std::string_view intent,
                                            chr::system_clock::time_point now) {
    const std::string folded = text::fold(patient_text);
    switch (s.input) {
    case input_kind::none: return std::nullopt;
    case input_kind::free_text: {
        std::string_view t = text::trim(patient_text);
        if (t.empty() || folded.empty()) return std::nullopt;
        return std::string(t);
    }
    // A red-flag question is answered yes or no; anything else is weighed by the engine.
    case input_kind::yes_no:
    case input_kind::follow_up: return yes_no(folded);
    case input_kind::choice: return choice(s, folded, intent);
    case input_kind::date: return date(patient_text, folded, now);
    case input_kind::phone: return phone(patient_text);
    }
    return std::nullopt;
}

std::optional<std::string> language_request(std::string_view patient_text) {
    const std::string folded = text::fold(patient_text);
    if (text::words(folded).size() > 4) return std::nullopt;
    if (text::contains_phrase(folded, "espanol") || text::contains_phrase(folded, "spanish")) return "es";
    if (text::contains_phrase(folded, "english") || text::contains_phrase(folded, "ingles")) return "en";
    return std::nullopt;
}

}  // namespace triage::dialog
