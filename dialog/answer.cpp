#include "dialog/answer.hpp"

#include "dialog/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

namespace triage::dialog {

namespace {

namespace chr = std::chrono;

constexpr std::array<std::string_view, 49> yes_phrases = {
    "yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "of course", "yes please", "correct", "right",
    "si", "sip", "claro", "de acuerdo", "vale", "por supuesto", "si por favor", "claro que si", "esta bien",
    "ye", "yea", "ya", "yess", "yes pls", "yes plz", "k", "okey", "dale", "simon",
    "aja", "sii", "siii", "si si", "sale", "okas", "yesss", "yes maam", "si senora", "fine", "alright", "all right",
    "go ahead", "va", "va pues", "orale", "andale", "si va"};
constexpr std::array<std::string_view, 14> no_phrases = {
    "no", "n", "nope", "nah", "no thanks", "no thank you", "not really", "not now", "no gracias",
    "ahora no", "para nada", "no por favor", "de ninguna manera", "nada"};
// A reply that starts with one of these and says nothing contrary ("yes I want to continue").
constexpr std::array<std::string_view, 13> yes_openers = {"yes", "yeah", "yep", "sure", "ok", "okay", "si", "claro", "vale",
                                                          "yea", "ye", "dale", "okey"};
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
    // A short reply that ends with its yes ("fine yes", "ok then sure", "bueno si").
    if (w.size() <= 3 && among(yes_openers, w.back()) && !says_no) return "yes";
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

// A numeric date in the raw text: YYYY-MM-DD, MM/DD/YYYY (DD/MM/YYYY when the first number is
// over 12), or MM/DD without a year (the next such day). Nullopt when there is none.
std::optional<chr::year_month_day> numeric_date(std::string_view raw, chr::sys_days today) {
    for (std::size_t at = 0; at < raw.size(); ++at) {
        if (raw[at] < '0' || raw[at] > '9' || (at > 0 && raw[at - 1] >= '0' && raw[at - 1] <= '9')) continue;
        std::size_t end = at;
        while (end < raw.size() && ((raw[end] >= '0' && raw[end] <= '9') || raw[end] == '/' || raw[end] == '-')) ++end;
        std::string_view t = raw.substr(at, end - at);
        at = end;
        const char sep = t.find('-') != std::string_view::npos ? '-' : '/';
        std::array<std::string_view, 3> parts;
        std::size_t n = 0, start = 0;
        bool bad = false;
        for (std::size_t i = 0; i <= t.size(); ++i) {
            if (i == t.size() || t[i] == sep) {
                if (n == parts.size()) { bad = true; break; }
                parts[n++] = t.substr(start, i - start);
                start = i + 1;
            }
        }
        if (bad || n < 2) continue;
        auto a = number_of(parts[0]), b = number_of(parts[1]);
        if (!a || !b) continue;
        int c = 0;
        if (n == 3) {
            auto cv = number_of(parts[2]);
            if (!cv) continue;
            c = *cv;
        }
        int y = 0, m = 0, d = 0;
        const bool has_year = n == 3;
        if (n == 3 && sep == '-' && parts[0].size() == 4) {
            y = *a, m = *b, d = c;
        } else if (sep == '/' || (sep == '-' && n == 3)) {  // "5-1-92" is written like "5/1/92"
            // US order; a first number over 12 can only be a day, as Spanish speakers often write.
            const bool day_first = *a > 12 && *b <= 12;
            m = day_first ? *b : *a, d = day_first ? *a : *b;
            if (n == 3) {
                y = c;
                if (parts[2].size() == 2) y += y > 30 ? 1900 : 2000;  // "3/14/80"
                else if (parts[2].size() != 4) continue;
            }
        } else {
            continue;
        }
        if (m < 1 || m > 12 || d < 1 || d > 31) continue;
        const chr::year_month_day now_ymd{today};
        if (!has_year) {
            // No year: the next such day, this year or the next.
            chr::year_month_day guess{now_ymd.year(), chr::month{static_cast<unsigned>(m)}, chr::day{static_cast<unsigned>(d)}};
            if (guess.ok() && chr::sys_days{guess} < today) guess = guess + chr::years{1};
            if (guess.ok()) return guess;
            continue;
        }
        if (y < 1900 || y > 2200) continue;
        chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(m)}, chr::day{static_cast<unsigned>(d)}};
        if (ymd.ok()) return ymd;
    }
    return std::nullopt;
}

constexpr std::array<std::pair<std::string_view, unsigned>, 34> month_words = {{
    {"january", 1}, {"jan", 1}, {"february", 2}, {"feb", 2}, {"march", 3}, {"mar", 3}, {"april", 4}, {"apr", 4},
    {"may", 5}, {"june", 6}, {"jun", 6}, {"july", 7}, {"jul", 7}, {"august", 8}, {"aug", 8}, {"september", 9},
    {"sept", 9}, {"sep", 9}, {"october", 10}, {"oct", 10}, {"november", 11}, {"nov", 11}, {"december", 12},
    {"dec", 12}, {"enero", 1}, {"febrero", 2}, {"marzo", 3}, {"abril", 4}, {"mayo", 5}, {"junio", 6},
    {"julio", 7}, {"agosto", 8}, {"septiembre", 9}, {"octubre", 10}}};
constexpr std::array<std::pair<std::string_view, unsigned>, 3> more_month_words = {{{"setiembre", 9}, {"noviembre", 11}, {"diciembre", 12}}};

std::optional<unsigned> month_of(std::string_view w) {
    for (const auto& [name, m] : month_words)
        if (w == name) return m;
    for (const auto& [name, m] : more_month_words)
        if (w == name) return m;
    return std::nullopt;
}

// Sunday = 0, as chrono's weekday counts.
std::optional<unsigned> weekday_of(std::string_view w) {
    static constexpr std::array<std::pair<std::string_view, unsigned>, 30> days = {{
        {"sunday", 0}, {"sun", 0}, {"monday", 1}, {"mon", 1}, {"tuesday", 2}, {"tue", 2}, {"tues", 2},
        {"wednesday", 3}, {"wed", 3}, {"thursday", 4}, {"thu", 4}, {"thur", 4}, {"thurs", 4}, {"friday", 5},
        {"fri", 5}, {"saturday", 6}, {"sat", 6}, {"domingo", 0}, {"lunes", 1}, {"martes", 2}, {"miercoles", 3},
        {"jueves", 4}, {"viernes", 5}, {"sabado", 6}, {"mondays", 1}, {"tuesdays", 2}, {"wednesdays", 3},
        {"thursdays", 4}, {"fridays", 5}, {"saturdays", 6}}};
    for (const auto& [name, d] : days)
        if (w == name) return d;
    return std::nullopt;
}

// "March 14, 1980", "dec 20", "20 de diciembre", "14 de marzo de 1980", "the 20th of December".
std::optional<chr::year_month_day> worded_date(const std::vector<std::string_view>& w, chr::sys_days today) {
    auto day_number = [](std::string_view x) -> std::optional<int> {
        while (!x.empty() && (x.back() < '0' || x.back() > '9')) x.remove_suffix(1);  // "20th", "1st"
        auto v = number_of(x);
        if (v && *v >= 1 && *v <= 31) return v;
        return std::nullopt;
    };
    auto year_number = [](std::string_view x) -> std::optional<int> {
        auto v = number_of(x);
        if (v && *v >= 1900 && *v <= 2200) return v;
        return std::nullopt;
    };
    for (std::size_t i = 0; i < w.size(); ++i) {
        auto m = month_of(w[i]);
        if (!m) continue;
        // "may" is also a verb: only with a day number beside it.
        std::optional<int> d, y;
        std::size_t k = i + 1;
        if (k < w.size() && (d = day_number(w[k]))) ++k;
        if (!d) {
            // "20 de diciembre", "the 20th of december"
            std::size_t b = i;
            if (b > 0 && (w[b - 1] == "de" || w[b - 1] == "of")) --b;
            if (b > 0) d = day_number(w[b - 1]);
        }
        if (!d) continue;
        if (k < w.size() && (w[k] == "de" || w[k] == "del")) ++k;
        if (k < w.size()) y = year_number(w[k]);
        const chr::year_month_day now_ymd{today};
        chr::year_month_day ymd{y ? chr::year{*y} : now_ymd.year(), chr::month{*m}, chr::day{static_cast<unsigned>(*d)}};
        if (!ymd.ok()) continue;
        if (!y && chr::sys_days{ymd} < today) ymd = ymd + chr::years{1};
        return ymd;
    }
    return std::nullopt;
}

bool has_phrase(const std::vector<std::string_view>& w, std::initializer_list<std::string_view> phrase) {
    if (phrase.size() == 0 || w.size() < phrase.size()) return false;
    for (std::size_t i = 0; i + phrase.size() <= w.size(); ++i) {
        std::size_t k = 0;
        for (auto p : phrase) {
            if (w[i + k] != p) break;
            ++k;
        }
        if (k == phrase.size()) return true;
    }
    return false;
}

std::optional<std::string> date(std::string_view raw, std::string_view folded, chr::system_clock::time_point now) {
    const chr::sys_days today = chr::floor<chr::days>(now);
    if (auto d = numeric_date(raw, today)) return iso(*d);
    const auto w = text::words(folded);
    if (auto d = worded_date(w, today)) return iso(*d);
    // A day of the month alone ("el 20", "the 20th", "on the 3rd"): the next such day.
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i] != "el" && w[i] != "the" && w[i] != "dia") continue;
        std::string_view x = w[i + 1];
        const bool ordinal = x.ends_with("st") || x.ends_with("nd") || x.ends_with("rd") || x.ends_with("th");
        if (ordinal) x.remove_suffix(2);
        auto n = number_of(x);
        if (!n || *n < 1 || *n > 31 || (w[i] == "the" && !ordinal)) continue;
        // "el 20 de marzo" was read above; here only the day is given.
        const chr::year_month_day now_ymd{today};
        chr::year_month_day d{now_ymd.year(), now_ymd.month(), chr::day{static_cast<unsigned>(*n)}};
        for (int k = 0; k < 3 && (!d.ok() || chr::sys_days{d} < today); ++k) {
            const auto next = chr::year_month{d.year(), d.month()} + chr::months{1};
            d = chr::year_month_day{next.year(), next.month(), chr::day{static_cast<unsigned>(*n)}};
        }
        if (d.ok()) return iso(d);
    }
    // A day of the week: the next one after today ("monday", "el lunes", "next tuesday", "este viernes").
    for (std::size_t i = 0; i < w.size(); ++i) {
        auto wd = weekday_of(w[i]);
        if (!wd) continue;
        const unsigned from = chr::weekday{today}.c_encoding();
        unsigned ahead = (*wd + 7 - from) % 7;
        if (ahead == 0) ahead = 7;
        return iso(today + chr::days{ahead});
    }
    // "tomorrow", "mañana" (not "por la mañana", in the morning), "day after tomorrow".
    if (has_phrase(w, {"day", "after", "tomorrow"}) || has_phrase(w, {"pasado", "manana"})) return iso(today + chr::days{2});
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (w[i] == "tomorrow" || w[i] == "tmrw" || w[i] == "tmr" || w[i] == "tomorow") return iso(today + chr::days{1});
        if (w[i] == "manana" && !(i > 0 && (w[i - 1] == "la" || w[i - 1] == "las"))) return iso(today + chr::days{1});
    }
    if (has_phrase(w, {"next", "week"}) || has_phrase(w, {"semana", "que", "viene"}) || has_phrase(w, {"proxima", "semana"}) ||
        has_phrase(w, {"semana", "proxima"}) || has_phrase(w, {"la", "otra", "semana"})) {
        const unsigned from = chr::weekday{today}.c_encoding();
        return iso(today + chr::days{(8 - from) % 7 == 0 ? 7 : (8 - from) % 7});  // the coming Monday
    }
    // Whenever is soonest: the first free day from today.
    for (const auto& p : {std::initializer_list<std::string_view>{"today"}, {"hoy"}, {"asap"}, {"as", "soon", "as"},
                          {"any", "day"}, {"any", "evening"}, {"any", "morning"}, {"any", "afternoon"}, {"any", "weekday"},
                          {"anytime"}, {"cualquier", "tarde"}, {"cualquier", "manana"}, {"cualquier", "hora"}, {"any", "time"}, {"whenever"}, {"earliest"}, {"first", "available"},
                          {"next", "available"}, {"this", "week"}, {"cualquier", "dia"}, {"lo", "antes"}, {"cuanto", "antes"},
                          {"lo", "mas", "pronto"}, {"esta", "semana"}, {"el", "primero", "que"}, {"cuando", "sea"}})
        if (has_phrase(w, p)) return iso(today);
    return std::nullopt;
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

std::optional<std::string> date_refusal(const flow_state& s, std::string_view patient_text,
                                        std::chrono::system_clock::time_point now) {
    if (s.input != input_kind::date || s.dates == flow_state::date_range::any) return std::nullopt;
    const auto d = date(patient_text, text::fold(patient_text), now);
    if (!d) return std::nullopt;
    const std::string today = iso(chr::year_month_day{chr::floor<chr::days>(now)});
    // ISO dates compare as text.
    if (s.dates == flow_state::date_range::future && *d < today) return "past";
    if (s.dates == flow_state::date_range::past && *d > today) return "future";
    return std::nullopt;
}

bool words_back_intent(std::string_view intent, std::string_view patient_text) {
    // Folded words (lower case, no accents), English and Spanish.
    static const std::vector<std::string_view> leaving = {
        "bye", "goodbye", "byebye", "adios", "chao", "chau", "ciao", "later", "cya", "thanks", "thank", "thx",
        "gracias", "luego", "done", "finished", "all", "nothing", "enough", "stop", "leave", "quit", "exit", "end",
        "nevermind", "forget", "nada", "todo", "listo", "salir", "terminar", "terminamos", "olvidalo", "basta", "ya"};
    static const std::vector<std::string_view> person = {
        "person", "human", "someone", "somebody", "staff", "agent", "representative", "rep", "receptionist",
        "reception", "operator", "real", "talk", "speak", "call", "persona", "humano", "alguien", "representante",
        "recepcion", "recepcionista", "operador", "hablar", "llamar", "llamen", "llame"};
    const std::vector<std::string_view>* words = intent == "goodbye" ? &leaving
                                                 : intent == "speak_to_human" ? &person
                                                                              : nullptr;
    if (!words) return true;
    const std::string folded = text::fold(patient_text);
    for (const auto& w : text::words(folded))
        if (std::find(words->begin(), words->end(), w) != words->end()) return true;
    return false;
}

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
    case input_kind::date: {
        if (date_refusal(s, patient_text, now)) return std::nullopt;
        return date(patient_text, folded, now);
    }
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
