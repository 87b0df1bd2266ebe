#pragma once
// Text helpers shared by the flow loader, the engine and the keyword intents. Internal to
// triage_dialog. Pure and allocation-only: no locale, no ICU, so the same input folds the same way
// on every machine.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage::dialog::text {

// Lower-case ASCII letters and digits, words separated by single spaces, no leading or trailing
// space. Latin-1 letters lose their accents (á -> a, ñ -> n, ß -> ss); ASCII punctuation, ¿, ¡
// and general punctuation (U+2000..U+203F: curly quotes, dashes, zero-width spaces) become
// separators. Other UTF-8 sequences are kept byte for byte, so text in other scripts still forms
// words. Never throws except std::bad_alloc.
std::string fold(std::string_view input);

// Words of folded text.
std::vector<std::string_view> words(std::string_view folded);

// Whole-word phrase search in folded text: "book" is found in "i want to book" but not in
// "booking". Both arguments must already be folded.
bool contains_phrase(std::string_view folded_text, std::string_view folded_phrase);

// Removes ASCII white space at both ends.
std::string_view trim(std::string_view s);

// A `{name}` placeholder: name is [A-Za-z0-9_]+. Anything else in braces is literal text.
struct placeholder {
    std::string name;
    std::size_t begin = 0;  // offset of '{'
    std::size_t end = 0;    // one past '}'
};
std::vector<placeholder> placeholders(std::string_view s);

}  // namespace triage::dialog::text
