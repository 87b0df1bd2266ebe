#pragma once
// A second reading of a message written to dodge filters or typed oddly: letters spelled out one
// by one ("c h e s t  p a i n", "s.u.i.c.i.d.e") and digits or symbols standing in for letters
// ("ch3st p41n", "k!ll mys3lf", "$uicide"). The rules and the urgency model read this view as
// well as the plain one, so obfuscation can only add findings, never hide one.

#include "triage-rules/normalize.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace triage::rules {

// Replaces look-alike digits and symbols inside words by letters, byte for byte (offsets keep
// their meaning). Only characters between two letters of a word change, so numbers, times and
// doses ("38.5", "2am", "10mg", "x3") stay as they are. Returns the input when nothing changed.
std::string unleet(std::string_view input);

// Whether a normalised word is one the reader knows (the rules' vocabulary).
using known_word = std::function<bool(std::string_view)>;

// Joins runs of three or more one-letter words ("c h e s t" -> "chest") in a normalised text,
// keeping the map back to the original bytes; a stand-in digit between two letters belongs to the
// run ("k 1 l l" -> "kill"). A run spelled with even gaps joins into one string; with `known`, a
// string it does not know is cut into words it does ("iwanttokillmyself" -> "i want to kill
// myself"), or left whole when it cannot be. Returns the input when nothing changed.
normalized_text join_spelled_letters(const normalized_text& n, const known_word& known = {});

// The obfuscation-proof reading: normalize(unleet(input)) with spelled letters joined. `changed`
// tells whether it differs from normalize(input).
struct deobfuscated {
    normalized_text text;
    bool changed = false;
};
deobfuscated deobfuscate(std::string_view input, const normalized_text& plain, const known_word& known = {});

}  // namespace triage::rules
