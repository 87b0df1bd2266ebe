#include "integrations/remote_intent/redact.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>
#include <cctype>
#include <memory>

namespace triage::integrations::remote_intent {

namespace {

struct rule {
    const char* placeholder;
    const char* pattern;
};

// Order matters: e-mail before anything that could eat its digits, record numbers (with their
// cue word) before phone numbers, dates before phone numbers ("03/14/1961" is not a phone).
constexpr std::array rules{
    rule{"[EMAIL]", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"},
    rule{"[ID]", R"((?i)\b(?:ssn|social security(?: number)?|mrn|medical record(?: number)?|record(?: number| no\.?| #)?|chart(?: number)?|member(?: id| number| no\.?)?|policy(?: number| no\.?)?|account(?: number| no\.?)?|patient id|id number|insurance id|nhs number|expediente|historia cl[ií]nica|n[uú]mero de (?:afiliado|p[oó]liza|expediente|seguro|tarjeta)|p[oó]liza|afiliado|dni|nie|tarjeta sanitaria)\s*(?:is|es|:|#|no\.?|n[uú]m\.?|number)?\s*:?\s*[A-Za-z]{0,3}[-\s]?\d(?:[\s-]?\d){2,}[A-Za-z]?\b)"},
    rule{"[ID]", R"(\b\d{3}-\d{2}-\d{4}\b)"},
    rule{"[ID]", R"(\b[A-Za-z]{1,3}-?\d{6,}\b)"},
    rule{"[DATE]", R"(\b\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}\b)"},
    rule{"[DATE]", R"((?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b)"},
    rule{"[DATE]", R"((?i)\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|se(?:p)?tiembre|octubre|noviembre|diciembre)(?:,?\s+(?:de\s+|of\s+)?\d{4})?\b)"},
    rule{"[DATE]", R"((?i)\b(?:born|dob|d\.o\.b\.?|date of birth|birthday|naci[oó]?|nac[ií]|fecha de nacimiento|cumplea[nñ]os)\s*(?:is|in|on|el|en|es|:)?\s*(?:the\s+)?\d{4}\b)"},
    rule{"[PHONE]", R"((?:\+|\(|\b)\d[\d\s().\-]{5,}\d\b)"},
    rule{"[ADDRESS]", R"((?i)\b\d{1,6}\s+(?:[\p{L}\d'.\-]+\s+){0,4}(?:street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|lane|ln\.?|drive|dr\.?|court|ct\.?|way|place|pl\.?|terrace|parkway|pkwy|highway|hwy|circle|cir\.?)(?:\s+(?:apt|apartment|unit|suite|#)\.?\s*\w+)?\b)"},
    rule{"[ADDRESS]", R"((?i)\b(?:calle|c/|avenida|avda\.?|av\.|paseo|plaza|camino|carrera|carretera|ronda|colonia|col\.)\s+(?:[\p{L}'.\-]+\s+){0,4}(?:n[uú]m(?:ero)?\.?\s*|#\s*|n[ºo°]\s*)?\d{1,5}\w*(?:[,\s]+\d+[ºª]?\s*\w?)?)"},
    rule{"[ZIP]", R"((?i)\b(?:zip(?: code)?|c[oó]digo postal|c\.?p\.?)\s*:?\s*\d{5}(?:-\d{4})?\b)"},
};

struct compiled {
    std::vector<std::pair<const char*, std::unique_ptr<RE2>>> rules;
    std::unique_ptr<RE2> strong_cue;
    std::unique_ptr<RE2> weak_cue;
    std::unique_ptr<RE2> titled_name;
};

const compiled& patterns() {
    static const compiled c = [] {
        compiled out;
        RE2::Options o;
        o.set_log_errors(false);
        for (const auto& r : rules) out.rules.emplace_back(r.placeholder, std::make_unique<RE2>(r.pattern, o));
        // "my name is jane doe", "me llamo ana maría": the name is what follows, whatever its
        // capitals (patients type in lower case). Weak cues ("I'm", "soy", "this is") only take a
        // word written with a capital: "I'm Jane" is a name, "I'm bleeding" is not.
        out.strong_cue = std::make_unique<RE2>(
            R"(((?i)\b(?:my name is|my name's|name\s*:|my (?:son|daughter|husband|wife|mother|father|mom|mum|dad|child|baby|grandmother|grandfather|partner|brother|sister)'?s? name is|me llamo|mi nombre es|nombre\s*:|se llama)\s+))",
            o);
        out.weak_cue = std::make_unique<RE2>(
            R"(((?i)\b(?:i am|i'm|im|this is|calling for|on behalf of|for my (?:son|daughter|husband|wife|mother|father|mom|mum|dad|child|baby|grandmother|grandfather|partner|brother|sister)|my (?:son|daughter|husband|wife|mother|father|mom|mum|dad|child|baby|grandmother|grandfather|partner|brother|sister),?|soy|habla|de parte de|mi (?:hijo|hija|esposo|esposa|marido|mujer|madre|padre|mam[aá]|pap[aá]|beb[eé]|abuelo|abuela|hermano|hermana|pareja),?|(?:mam[aá]|pap[aá]|madre|padre|abuela|abuelo|t[ií]a|t[ií]o) de|(?:mother|father|mom|mum|dad|parent|guardian) of|llamada de|para)\s+)(\p{Lu}))",
            o);
        out.titled_name = std::make_unique<RE2>(
            R"(\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Dra|Sr|Sra|Srta|Don|Doña|Dña)\.?\s+\p{Lu}[\p{L}'\-]+(?:\s+\p{Lu}[\p{L}'\-]+)?)", o);
        return out;
    }();
    return c;
}

bool ascii_alpha_word_char(unsigned char c) { return std::isalpha(c) || c >= 0x80 || c == '\'' || c == '-'; }

// Words that end a name: "I'm Jane and I need", "soy Ana y quiero", "I'm having chest pain".
bool stops_a_name(std::string w) {
    std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::vector<std::string_view> stop{
        "and", "i", "my", "me", "im", "i'm", "a", "an", "the", "is", "was", "have", "having", "had", "has", "need",
        "needs", "want", "wants", "would", "like", "calling", "call", "born", "dob", "phone", "number", "email",
        "at", "in", "on", "from", "with", "to", "for", "about", "because", "but", "so", "not", "very", "really",
        "feeling", "sick", "here", "there", "just", "also", "still", "going", "trying", "looking", "writing",
        "worried", "scared", "your", "you", "he", "she", "they", "who", "that", "this", "it", "y", "e", "o", "de",
        "del", "la", "el", "los", "las", "un", "una", "que", "quiero", "necesito", "tengo", "estoy", "mi", "con",
        "por", "para", "en", "nac", "naci", "tel", "telefono", "correo", "pero", "muy", "no", "si", "ya", "le",
        "lo", "se"};
    if (w.empty()) return true;
    return std::find(stop.begin(), stop.end(), w) != stop.end();
}

// Up to three name words from `at`, replaced by [NAME]; returns where the scan may continue.
std::size_t take_name(std::string& text, std::size_t at, std::map<std::string, int>& counts) {
    std::size_t i = at, end = at;
    int words = 0;
    while (words < 3 && i < text.size()) {
        std::size_t w = i;
        while (w < text.size() && ascii_alpha_word_char(static_cast<unsigned char>(text[w]))) ++w;
        if (w == i || stops_a_name(text.substr(i, w - i))) break;
        end = w;
        ++words;
        std::size_t next = w;
        while (next < text.size() && text[next] == ' ') ++next;
        if (next == w) break;  // punctuation ends the name
        i = next;
    }
    if (words == 0) return at;
    text.replace(at, end - at, "[NAME]");
    counts["[NAME]"]++;
    return at + 6;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

redacted redact_phi(std::string_view input, const std::vector<std::string>& known_values) {
    redacted r;
    r.text = std::string(input);
    // Values the conversation already holds, anywhere and in any case.
    for (const auto& v : known_values) {
        if (v.size() < 3) continue;
        const std::string needle = lower(v);
        for (std::size_t at = lower(r.text).find(needle); at != std::string::npos; at = lower(r.text).find(needle, at + 1)) {
            r.text.replace(at, v.size(), "[PHI]");
            r.replaced["[PHI]"]++;
        }
    }
    const auto& p = patterns();
    for (const auto& [placeholder, re] : p.rules) {
        if (!re->ok()) continue;
        const int n = RE2::GlobalReplace(&r.text, *re, placeholder);
        if (n > 0) r.replaced[placeholder] += n;
    }
    if (p.titled_name->ok()) {
        const int n = RE2::GlobalReplace(&r.text, *p.titled_name, "[NAME]");
        if (n > 0) r.replaced["[NAME]"] += n;
    }
    for (const RE2* cue_re : {p.strong_cue.get(), p.weak_cue.get()}) {
        if (!cue_re->ok()) continue;
        std::size_t offset = 0;
        // Walk the cues left to right; each takes the name after it.
        while (offset < r.text.size()) {
            re2::StringPiece view(r.text.data() + offset, r.text.size() - offset);
            re2::StringPiece cue;
            if (!RE2::PartialMatch(view, *cue_re, &cue)) break;
            const std::size_t cue_end = static_cast<std::size_t>(cue.data() - r.text.data()) + cue.size();
            offset = take_name(r.text, cue_end, r.replaced);
        }
    }
    return r;
}

}  // namespace triage::integrations::remote_intent
