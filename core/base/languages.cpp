#include "core/base/languages.h"

#include "core/base/errors.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace taskmoe::core {

namespace {

// ISO 639-1, and the ISO 639-2/3 codes that occur as gettext locale names on Debian.
const std::map<std::string, std::string> &knownLanguages()
{
    static const std::map<std::string, std::string> table = [] {
        static const char *const entries[][2] = {
            {"aa", "Afar"}, {"ab", "Abkhazian"}, {"ae", "Avestan"}, {"af", "Afrikaans"}, {"ak", "Akan"},
            {"am", "Amharic"}, {"an", "Aragonese"}, {"ar", "Arabic"}, {"as", "Assamese"}, {"av", "Avaric"},
            {"ay", "Aymara"}, {"az", "Azerbaijani"}, {"ba", "Bashkir"}, {"be", "Belarusian"}, {"bg", "Bulgarian"},
            {"bi", "Bislama"}, {"bm", "Bambara"}, {"bn", "Bengali"}, {"bo", "Tibetan"}, {"br", "Breton"},
            {"bs", "Bosnian"}, {"ca", "Catalan"}, {"ce", "Chechen"}, {"ch", "Chamorro"}, {"co", "Corsican"},
            {"cr", "Cree"}, {"cs", "Czech"}, {"cu", "Church Slavic"}, {"cv", "Chuvash"}, {"cy", "Welsh"},
            {"da", "Danish"}, {"de", "German"}, {"dv", "Divehi"}, {"dz", "Dzongkha"}, {"ee", "Ewe"},
            {"el", "Greek"}, {"en", "English"}, {"eo", "Esperanto"}, {"es", "Spanish"}, {"et", "Estonian"},
            {"eu", "Basque"}, {"fa", "Persian"}, {"ff", "Fulah"}, {"fi", "Finnish"}, {"fj", "Fijian"},
            {"fo", "Faroese"}, {"fr", "French"}, {"fy", "Western Frisian"}, {"ga", "Irish"}, {"gd", "Scottish Gaelic"},
            {"gl", "Galician"}, {"gn", "Guarani"}, {"gu", "Gujarati"}, {"gv", "Manx"}, {"ha", "Hausa"},
            {"he", "Hebrew"}, {"hi", "Hindi"}, {"ho", "Hiri Motu"}, {"hr", "Croatian"}, {"ht", "Haitian"},
            {"hu", "Hungarian"}, {"hy", "Armenian"}, {"hz", "Herero"}, {"ia", "Interlingua"}, {"id", "Indonesian"},
            {"ie", "Interlingue"}, {"ig", "Igbo"}, {"ii", "Sichuan Yi"}, {"ik", "Inupiaq"}, {"io", "Ido"},
            {"is", "Icelandic"}, {"it", "Italian"}, {"iu", "Inuktitut"}, {"ja", "Japanese"}, {"jv", "Javanese"},
            {"ka", "Georgian"}, {"kg", "Kongo"}, {"ki", "Kikuyu"}, {"kj", "Kuanyama"}, {"kk", "Kazakh"},
            {"kl", "Kalaallisut"}, {"km", "Khmer"}, {"kn", "Kannada"}, {"ko", "Korean"}, {"kr", "Kanuri"},
            {"ks", "Kashmiri"}, {"ku", "Kurdish"}, {"kv", "Komi"}, {"kw", "Cornish"}, {"ky", "Kyrgyz"},
            {"la", "Latin"}, {"lb", "Luxembourgish"}, {"lg", "Ganda"}, {"li", "Limburgish"}, {"ln", "Lingala"},
            {"lo", "Lao"}, {"lt", "Lithuanian"}, {"lu", "Luba-Katanga"}, {"lv", "Latvian"}, {"mg", "Malagasy"},
            {"mh", "Marshallese"}, {"mi", "Maori"}, {"mk", "Macedonian"}, {"ml", "Malayalam"}, {"mn", "Mongolian"},
            {"mr", "Marathi"}, {"ms", "Malay"}, {"mt", "Maltese"}, {"my", "Burmese"}, {"na", "Nauru"},
            {"nb", "Norwegian Bokmal"}, {"nd", "North Ndebele"}, {"ne", "Nepali"}, {"ng", "Ndonga"}, {"nl", "Dutch"},
            {"nn", "Norwegian Nynorsk"}, {"no", "Norwegian"}, {"nr", "South Ndebele"}, {"nv", "Navajo"}, {"ny", "Chichewa"},
            {"oc", "Occitan"}, {"oj", "Ojibwa"}, {"om", "Oromo"}, {"or", "Odia"}, {"os", "Ossetian"},
            {"pa", "Punjabi"}, {"pi", "Pali"}, {"pl", "Polish"}, {"ps", "Pashto"}, {"pt", "Portuguese"},
            {"qu", "Quechua"}, {"rm", "Romansh"}, {"rn", "Rundi"}, {"ro", "Romanian"}, {"ru", "Russian"},
            {"rw", "Kinyarwanda"}, {"sa", "Sanskrit"}, {"sc", "Sardinian"}, {"sd", "Sindhi"}, {"se", "Northern Sami"},
            {"sg", "Sango"}, {"si", "Sinhala"}, {"sk", "Slovak"}, {"sl", "Slovenian"}, {"sm", "Samoan"},
            {"sn", "Shona"}, {"so", "Somali"}, {"sq", "Albanian"}, {"sr", "Serbian"}, {"ss", "Swati"},
            {"st", "Southern Sotho"}, {"su", "Sundanese"}, {"sv", "Swedish"}, {"sw", "Swahili"}, {"ta", "Tamil"},
            {"te", "Telugu"}, {"tg", "Tajik"}, {"th", "Thai"}, {"ti", "Tigrinya"}, {"tk", "Turkmen"},
            {"tl", "Tagalog"}, {"tn", "Tswana"}, {"to", "Tonga"}, {"tr", "Turkish"}, {"ts", "Tsonga"},
            {"tt", "Tatar"}, {"tw", "Twi"}, {"ty", "Tahitian"}, {"ug", "Uyghur"}, {"uk", "Ukrainian"},
            {"ur", "Urdu"}, {"uz", "Uzbek"}, {"ve", "Venda"}, {"vi", "Vietnamese"}, {"vo", "Volapuk"},
            {"wa", "Walloon"}, {"wo", "Wolof"}, {"xh", "Xhosa"}, {"yi", "Yiddish"}, {"yo", "Yoruba"},
            {"za", "Zhuang"}, {"zh", "Chinese"}, {"zu", "Zulu"},
            // ISO 639-2/3 codes used as locale names
            {"ace", "Acehnese"}, {"ach", "Acoli"}, {"ain", "Ainu"}, {"ang", "Old English"}, {"ast", "Asturian"},
            {"bar", "Bavarian"}, {"byn", "Bilin"}, {"chr", "Cherokee"}, {"ckb", "Central Kurdish"},
            {"crh", "Crimean Tatar"}, {"csb", "Kashubian"}, {"fil", "Filipino"}, {"frp", "Arpitan"},
            {"fur", "Friulian"}, {"gez", "Geez"}, {"haw", "Hawaiian"}, {"jam", "Jamaican Creole"},
            {"kab", "Kabyle"}, {"kmr", "Northern Kurdish"}, {"kok", "Konkani"}, {"mai", "Maithili"},
            {"mhr", "Eastern Mari"}, {"nah", "Nahuatl"}, {"nds", "Low German"}, {"nso", "Northern Sotho"},
            {"pap", "Papiamento"}, {"rom", "Romany"}, {"son", "Songhai"}, {"tig", "Tigre"},
            {"tzm", "Central Atlas Tamazight"}, {"wal", "Wolaytta"}, {"yue", "Cantonese"}, {"hak", "Hakka"},
            {"sco", "Scots"}, {"oci", "Occitan"}, {"fry", "Western Frisian"}, {"hsb", "Upper Sorbian"},
            {"dsb", "Lower Sorbian"}, {"szl", "Silesian"}, {"vec", "Venetian"}, {"lij", "Ligurian"},
            {"scn", "Sicilian"}, {"zgh", "Standard Moroccan Tamazight"}};
        std::map<std::string, std::string> m;
        for (const auto &e : entries)
            m.emplace(e[0], e[1]);
        return m;
    }();
    return table;
}

bool allOf(const std::string &s, std::size_t from, std::size_t to, int (*pred)(int))
{
    if (from >= to)
        return false;
    for (std::size_t i = from; i < to; ++i)
        if (!pred(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

/// Returns "" when valid, else why not.
std::string problem(const std::string &code)
{
    if (code.empty())
        return "is empty";
    std::string base = code;
    std::string modifier;
    if (const auto at = base.find('@'); at != std::string::npos) {
        modifier = base.substr(at + 1);
        base = base.substr(0, at);
        if (!allOf(modifier, 0, modifier.size(), [](int c) { return int(std::islower(c) || std::isdigit(c)); }))
            return "has a malformed modifier after '@' (expected lower-case letters, as in sr@latin)";
    }
    std::string language = base;
    if (const auto sep = base.find_first_of("_-"); sep != std::string::npos) {
        language = base.substr(0, sep);
        const std::string region = base.substr(sep + 1);
        const bool alpha2 = region.size() == 2 && allOf(region, 0, 2, [](int c) { return int(std::isupper(c)); });
        const bool numeric3 = region.size() == 3 && allOf(region, 0, 3, [](int c) { return int(std::isdigit(c)); });
        const bool script4 = region.size() == 4 && std::isupper(static_cast<unsigned char>(region[0]))
                             && allOf(region, 1, 4, [](int c) { return int(std::islower(c)); });
        if (!alpha2 && !numeric3 && !script4)
            return "has a malformed region '" + region + "' (expected two capital letters, as in pt_BR)";
    }
    if (language.size() < 2 || language.size() > 3
        || !allOf(language, 0, language.size(), [](int c) { return int(std::islower(c)); }))
        return "is malformed (expected an ISO 639 code of 2 or 3 lower-case letters, as in de, pt_BR, sr@latin)";
    if (!knownLanguages().count(language))
        return "is not a known ISO 639 language code";
    return {};
}

} // namespace

void validateLanguageCode(const std::string &code, const std::string &context)
{
    const std::string why = problem(code);
    if (!why.empty())
        throw InputError(context + ": language code '" + code + "' " + why);
}

bool isValidLanguageCode(const std::string &code)
{
    return problem(code).empty();
}

std::string languageName(const std::string &code)
{
    const auto end = code.find_first_of("_-@");
    const auto it = knownLanguages().find(code.substr(0, end));
    return it == knownLanguages().end() ? code : it->second;
}

} // namespace taskmoe::core
