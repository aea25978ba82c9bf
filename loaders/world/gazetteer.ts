/**
 * Entities beyond the world's own tables, so the oracle recognises a rival answer the families never
 * list ("Canberra, or maybe Perth"; "Au, or Pt"). An answer's kind is looked up from its value; only
 * entities of the same kind are rivals. Symbols that are also English words ("I", "He", "In", "As",
 * "At", "Be", "No") are left out, since they cannot be told from prose.
 */
import type { Span } from "./text.js";

const _split = (s: string) => s.split("|");

const COUNTRIES = _split(
  "Afghanistan|Albania|Algeria|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bangladesh|Belarus|Belgium|Bolivia|Bosnia|Botswana|Brazil|Bulgaria|Cambodia|Cameroon|Canada|Chad|Chile|China|Colombia|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czechia|Denmark|Ecuador|Egypt|Estonia|Ethiopia|Finland|France|Georgia|Germany|Ghana|Greece|Guatemala|Honduras|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kuwait|Laos|Latvia|Lebanon|Libya|Lithuania|Luxembourg|Madagascar|Malaysia|Mali|Malta|Mexico|Mongolia|Morocco|Mozambique|Myanmar|Nepal|Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|Norway|Oman|Pakistan|Panama|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|Saudi Arabia|Senegal|Serbia|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Korea|Spain|Sri Lanka|Sudan|Sweden|Switzerland|Syria|Taiwan|Tanzania|Thailand|Tunisia|Turkey|Uganda|Ukraine|United Kingdom|United States|Uruguay|Uzbekistan|Venezuela|Vietnam|Yemen|Zambia|Zimbabwe",
);

const CITIES = _split(
  "Abuja|Accra|Addis Ababa|Alexandria|Algiers|Amman|Amsterdam|Ankara|Athens|Auckland|Baghdad|Baku|Bangkok|Barcelona|Beijing|Beirut|Belgrade|Bergen|Berlin|Bern|Bogota|Brasilia|Bratislava|Brussels|Bucharest|Budapest|Buenos Aires|Busan|Cairo|Canberra|Cape Town|Caracas|Casablanca|Chicago|Copenhagen|Dakar|Damascus|Delhi|Dhaka|Doha|Dubai|Dublin|Edinburgh|Geneva|Hanoi|Havana|Helsinki|Ho Chi Minh City|Hong Kong|Islamabad|Istanbul|Jakarta|Jerusalem|Johannesburg|Kabul|Kampala|Karachi|Kathmandu|Khartoum|Kiev|Kinshasa|Kuala Lumpur|Kyiv|Lagos|Lima|Lisbon|Ljubljana|London|Los Angeles|Luanda|Lyon|Madrid|Manila|Marseille|Melbourne|Mexico City|Milan|Minsk|Mombasa|Montevideo|Montreal|Moscow|Mumbai|Munich|Muscat|Nairobi|New Delhi|New York|Osaka|Oslo|Ottawa|Panama City|Paris|Perth|Prague|Pretoria|Quito|Rabat|Reykjavik|Riga|Rio de Janeiro|Riyadh|Rome|Santiago|Sao Paulo|Seoul|Shanghai|Singapore|Sofia|Stockholm|Sydney|Taipei|Tallinn|Tashkent|Tbilisi|Tehran|Tel Aviv|Tokyo|Toronto|Tunis|Valencia|Vancouver|Vienna|Vilnius|Warsaw|Washington|Wellington|Zagreb|Zurich",
);

const ELEMENTS = _split(
  "hydrogen:H|helium:He|lithium:Li|beryllium:Be|boron:B|carbon:C|nitrogen:N|oxygen:O|fluorine:F|neon:Ne|sodium:Na|magnesium:Mg|aluminum:Al|silicon:Si|phosphorus:P|sulfur:S|chlorine:Cl|argon:Ar|potassium:K|calcium:Ca|scandium:Sc|titanium:Ti|vanadium:V|chromium:Cr|manganese:Mn|iron:Fe|cobalt:Co|nickel:Ni|copper:Cu|zinc:Zn|gallium:Ga|germanium:Ge|arsenic:As|selenium:Se|bromine:Br|krypton:Kr|rubidium:Rb|strontium:Sr|yttrium:Y|zirconium:Zr|niobium:Nb|molybdenum:Mo|technetium:Tc|ruthenium:Ru|rhodium:Rh|palladium:Pd|silver:Ag|cadmium:Cd|indium:In|tin:Sn|antimony:Sb|tellurium:Te|iodine:I|xenon:Xe|cesium:Cs|barium:Ba|lanthanum:La|cerium:Ce|neodymium:Nd|europium:Eu|gadolinium:Gd|tungsten:W|platinum:Pt|gold:Au|mercury:Hg|thallium:Tl|lead:Pb|bismuth:Bi|polonium:Po|radon:Rn|radium:Ra|thorium:Th|uranium:U|plutonium:Pu|americium:Am|osmium:Os|iridium:Ir|tantalum:Ta|hafnium:Hf|rhenium:Re",
).map((pair) => {
  const [name = "", symbol = ""] = pair.split(":");
  return { name, symbol };
});

/** Symbols that read as English words or initials, never flagged as rivals. */
const AMBIGUOUS_SYMBOLS = new Set([
  "I",
  "He",
  "In",
  "As",
  "At",
  "Be",
  "No",
  "Am",
  "Re",
  "Po",
  "Ta",
  "Pa",
  "Ho",
  "Es",
  "Md",
  "Co",
  "O",
  "S",
  "K",
  "W",
  "Y",
  "U",
  "V",
]);

const MONTHS = _split("January|February|March|April|May|June|July|August|September|October|November|December");
const WEEKDAYS = _split("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday");

interface Kind {
  name: string;
  entries: readonly string[];
  caseSensitive: boolean;
}

const KINDS: Kind[] = [
  { name: "country", entries: COUNTRIES, caseSensitive: false },
  { name: "city", entries: CITIES, caseSensitive: false },
  { name: "element", entries: ELEMENTS.map((e) => e.name), caseSensitive: false },
  { name: "symbol", entries: ELEMENTS.map((e) => e.symbol).filter((s) => !AMBIGUOUS_SYMBOLS.has(s)), caseSensitive: true },
  { name: "month", entries: MONTHS.filter((m) => m !== "May"), caseSensitive: true },
  { name: "weekday", entries: WEEKDAYS, caseSensitive: false },
];

/** The kind of entity a value is ("city", "symbol", ...), or null when the gazetteer does not know it. */
export function kindOf(value: string): Kind | null {
  for (const k of KINDS) {
    const known = k.caseSensitive ? k.entries.includes(value) : k.entries.some((e) => e.toLowerCase() === value.toLowerCase());
    if (known) return k;
  }
  if (value === "May") return KINDS.find((k) => k.name === "month") ?? null;
  const symbol = ELEMENTS.some((e) => e.symbol === value);
  return symbol ? (KINDS.find((k) => k.name === "symbol") ?? null) : null;
}

const _patterns = new Map<string, RegExp>();

function _pattern(kind: Kind): RegExp {
  let re = _patterns.get(kind.name);
  if (!re) {
    const alternatives = [...kind.entries].sort((a, b) => b.length - a.length).map((e) => e.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    re = new RegExp(`(?<![A-Za-z0-9])(?:${alternatives.join("|")})(?![A-Za-z0-9])`, kind.caseSensitive ? "g" : "gi");
    _patterns.set(kind.name, re);
  }
  return re;
}

/** Where a text names an entity of the same kind as `value`, other than `value` itself. */
export function findSameKind(text: string, value: string): Span[] {
  const kind = kindOf(value);
  if (!kind) return [];
  const same = (raw: string) => (kind.caseSensitive ? raw === value : raw.toLowerCase() === value.toLowerCase());
  const out: Span[] = [];
  for (const m of text.matchAll(_pattern(kind))) if (!same(m[0])) out.push({ start: m.index, end: m.index + m[0].length, raw: m[0] });
  return out;
}
