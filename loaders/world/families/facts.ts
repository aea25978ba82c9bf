/**
 * Facts from tables shipped in code (86 countries, 48 elements): capitals (both directions) and element symbols (both
 * directions). Rivals are every other answer in the table plus each entry's usual confusion, so the
 * oracle can tell a wrong or contradictory answer from a right one.
 */
import type { WorldRng } from "../rng.js";
import { fill } from "../text.js";
import { choose, countSpace, makeTemplates, sayExact, type Entity, type Family, type Template } from "./_shared.js";

interface Capital extends Entity {
  country: string;
  capital: string;
  /** The usual wrong answer: the biggest or best-known other city. */
  confusion: string;
}

const _capital = (country: string, capital: string, confusion: string, heldout = false): Capital => ({
  key: country,
  country,
  capital,
  confusion,
  heldout,
});

export const CAPITALS: Capital[] = [
  _capital("Australia", "Canberra", "Sydney"),
  _capital("Canada", "Ottawa", "Toronto"),
  _capital("Turkey", "Ankara", "Istanbul"),
  _capital("Brazil", "Brasilia", "Rio de Janeiro"),
  _capital("Switzerland", "Bern", "Zurich"),
  _capital("India", "New Delhi", "Mumbai"),
  _capital("Japan", "Tokyo", "Osaka"),
  _capital("France", "Paris", "Marseille"),
  _capital("Germany", "Berlin", "Munich"),
  _capital("Italy", "Rome", "Milan"),
  _capital("Spain", "Madrid", "Barcelona"),
  _capital("Egypt", "Cairo", "Alexandria"),
  _capital("Kenya", "Nairobi", "Mombasa"),
  _capital("Morocco", "Rabat", "Casablanca"),
  _capital("Nigeria", "Abuja", "Lagos"),
  _capital("Pakistan", "Islamabad", "Karachi"),
  _capital("Argentina", "Buenos Aires", "Cordoba"),
  _capital("Chile", "Santiago", "Valparaiso"),
  _capital("Peru", "Lima", "Cusco"),
  _capital("Colombia", "Bogota", "Medellin"),
  _capital("Venezuela", "Caracas", "Maracaibo"),
  _capital("Ecuador", "Quito", "Guayaquil"),
  _capital("Uruguay", "Montevideo", "Salto"),
  _capital("Paraguay", "Asuncion", "Ciudad del Este"),
  _capital("Jamaica", "Kingston", "Montego Bay"),
  _capital("Portugal", "Lisbon", "Porto"),
  _capital("Belgium", "Brussels", "Antwerp"),
  _capital("Austria", "Vienna", "Graz"),
  _capital("Poland", "Warsaw", "Krakow"),
  _capital("Czechia", "Prague", "Brno"),
  _capital("Hungary", "Budapest", "Debrecen"),
  _capital("Greece", "Athens", "Thessaloniki"),
  _capital("Sweden", "Stockholm", "Gothenburg"),
  _capital("Denmark", "Copenhagen", "Aarhus"),
  _capital("Finland", "Helsinki", "Tampere"),
  _capital("Ireland", "Dublin", "Galway"),
  _capital("Romania", "Bucharest", "Cluj-Napoca"),
  _capital("Bulgaria", "Sofia", "Plovdiv"),
  _capital("Serbia", "Belgrade", "Novi Sad"),
  _capital("Croatia", "Zagreb", "Rijeka"),
  _capital("Ukraine", "Kyiv", "Kharkiv"),
  _capital("Iceland", "Reykjavik", "Akureyri"),
  _capital("Russia", "Moscow", "Saint Petersburg"),
  _capital("China", "Beijing", "Shanghai"),
  _capital("Thailand", "Bangkok", "Chiang Mai"),
  _capital("Indonesia", "Jakarta", "Surabaya"),
  _capital("Philippines", "Manila", "Cebu"),
  _capital("Malaysia", "Kuala Lumpur", "George Town"),
  _capital("Bangladesh", "Dhaka", "Chittagong"),
  _capital("Nepal", "Kathmandu", "Pokhara"),
  _capital("Afghanistan", "Kabul", "Kandahar"),
  _capital("Iran", "Tehran", "Mashhad"),
  _capital("Iraq", "Baghdad", "Basra"),
  _capital("Saudi Arabia", "Riyadh", "Jeddah"),
  _capital("Jordan", "Amman", "Irbid"),
  _capital("Syria", "Damascus", "Aleppo"),
  _capital("Libya", "Tripoli", "Benghazi"),
  _capital("Mongolia", "Ulaanbaatar", "Erdenet"),
  _capital("Kazakhstan", "Astana", "Almaty"),
  _capital("Uzbekistan", "Tashkent", "Samarkand"),
  _capital("Cambodia", "Phnom Penh", "Siem Reap"),
  _capital("Laos", "Vientiane", "Luang Prabang"),
  _capital("Myanmar", "Naypyidaw", "Yangon"),
  _capital("Ghana", "Accra", "Kumasi"),
  _capital("Ethiopia", "Addis Ababa", "Dire Dawa"),
  _capital("Tanzania", "Dodoma", "Dar es Salaam"),
  _capital("Uganda", "Kampala", "Entebbe"),
  _capital("Senegal", "Dakar", "Touba"),
  _capital("Algeria", "Algiers", "Oran"),
  _capital("Tunisia", "Tunis", "Sfax"),
  _capital("Zimbabwe", "Harare", "Bulawayo"),
  _capital("Zambia", "Lusaka", "Kitwe"),
  _capital("Angola", "Luanda", "Huambo"),
  _capital("Cameroon", "Yaounde", "Douala"),
  _capital("Mali", "Bamako", "Sikasso"),
  _capital("Sudan", "Khartoum", "Omdurman"),
  _capital("Madagascar", "Antananarivo", "Toamasina"),
  _capital("Mozambique", "Maputo", "Beira"),
  _capital("Namibia", "Windhoek", "Walvis Bay"),
  _capital("Botswana", "Gaborone", "Francistown"),
  _capital("Rwanda", "Kigali", "Butare"),
  _capital("Fiji", "Suva", "Nadi"),
  _capital("Papua New Guinea", "Port Moresby", "Lae"),
  _capital("New Zealand", "Wellington", "Auckland", true),
  _capital("Vietnam", "Hanoi", "Ho Chi Minh City", true),
  _capital("South Korea", "Seoul", "Busan", true),
  _capital("Norway", "Oslo", "Bergen", true),
  _capital("Estonia", "Tallinn", "Tartu", true),
  _capital("Latvia", "Riga", "Daugavpils", true),
  _capital("Lithuania", "Vilnius", "Kaunas", true),
  _capital("Slovakia", "Bratislava", "Kosice", true),
];

interface Element extends Entity {
  name: string;
  symbol: string;
  /** A plausible wrong symbol (never an English word, so whole-word matching stays exact). */
  confusion: string;
}

const _element = (name: string, symbol: string, confusion: string, heldout = false): Element => ({
  key: name,
  name,
  symbol,
  confusion,
  heldout,
});

export const ELEMENTS: Element[] = [
  _element("gold", "Au", "Ag"),
  _element("silver", "Ag", "Au"),
  _element("iron", "Fe", "Ir"),
  _element("copper", "Cu", "Co"),
  _element("sodium", "Na", "Sd"),
  _element("tin", "Sn", "Ti"),
  _element("mercury", "Hg", "Mc"),
  _element("zinc", "Zn", "Zi"),
  _element("magnesium", "Mg", "Mn"),
  _element("calcium", "Ca", "Cc"),
  _element("chlorine", "Cl", "Ch"),
  _element("nickel", "Ni", "Nk"),
  _element("neon", "Ne", "Nm"),
  _element("titanium", "Ti", "Tn"),
  _element("lithium", "Li", "Lt"),
  _element("silicon", "Si", "Sc"),
  _element("argon", "Ar", "Ag"),
  _element("hydrogen", "H", "Hy"),
  _element("carbon", "C", "Cb"),
  _element("nitrogen", "N", "Ni"),
  _element("oxygen", "O", "Os"),
  _element("fluorine", "F", "Fl"),
  _element("potassium", "K", "Po"),
  _element("sulfur", "S", "Su"),
  _element("phosphorus", "P", "Ph"),
  _element("aluminum", "Al", "Au"),
  _element("boron", "B", "Bo"),
  _element("cobalt", "Co", "Cu"),
  _element("uranium", "U", "Ur"),
  _element("bromine", "Br", "Bm"),
  _element("barium", "Ba", "Bu"),
  _element("krypton", "Kr", "Kp"),
  _element("xenon", "Xe", "Xn"),
  _element("radon", "Rn", "Ra"),
  _element("selenium", "Se", "Sl"),
  _element("strontium", "Sr", "Sn"),
  _element("cesium", "Cs", "Ce"),
  _element("antimony", "Sb", "Sn"),
  _element("gallium", "Ga", "Gl"),
  _element("germanium", "Ge", "Gr"),
  _element("palladium", "Pd", "Pl"),
  _element("vanadium", "V", "Va"),
  _element("chromium", "Cr", "Ch", true),
  _element("manganese", "Mn", "Mg", true),
  _element("platinum", "Pt", "Pl", true),
  _element("tungsten", "W", "Tu", true),
  _element("bismuth", "Bi", "Bs", true),
  _element("cadmium", "Cd", "Cm", true),
];

const _unique = (xs: string[]) => [...new Set(xs)];

/** The usual confusion first, then everything else the table could answer. */
function _rivals(value: string, confusion: string | null, all: string[]): string[] {
  return _unique([...(confusion ? [confusion] : []), ...all]).filter((x) => x !== value);
}

interface Spec<E extends Entity> {
  name: string;
  /** Each template with the lead an answer to it starts with (same slots), so answers follow the question's wording. */
  texts: [question: string, lead: string][];
  heldoutTemplates: number;
  entities: E[];
  vars(e: E): Record<string, string>;
  value(e: E): string;
  confusion(e: E, rng: WorldRng): string | null;
  all: string[];
  caseSensitive: boolean;
}

function _family<E extends Entity>(spec: Spec<E>): Family {
  const templates: Template[] = makeTemplates(
    spec.name,
    spec.texts.map(([q]) => q),
    spec.heldoutTemplates,
  );
  const leads = new Map(templates.map((t, i) => [t.id, spec.texts[i]?.[1] ?? ""]));
  return {
    name: spec.name,
    category: "facts",
    intent: "answer",
    templates,
    entities: spec.entities,
    count: (side) => countSpace(side, templates, spec.entities),
    draw(rng, split) {
      const { template, entity } = choose(rng, split, templates, spec.entities);
      const value = spec.value(entity);
      const lead = fill(leads.get(template.id) ?? "", spec.vars(entity));
      const rivals = _rivals(value, spec.confusion(entity, rng), spec.all);
      return {
        question: fill(template.text, spec.vars(entity)),
        category: "facts",
        intent: "answer",
        family: spec.name,
        template: template.id,
        entity: entity.key,
        harm: null,
        gold: sayExact(lead, value),
        facts: { kind: "word", value, lead, rivals, caseSensitive: spec.caseSensitive },
      };
    },
  };
}

export const FACTS: Family[] = [
  _family<Capital>({
    name: "facts.capital_of",
    texts: [
      ["What is the capital of {country}?", "The capital of {country} is"],
      ["Which city is the capital of {country}?", "The city that is the capital of {country} is"],
      ["Name the capital city of {country}.", "The capital city of {country} is"],
      ["What's the capital city of {country}?", "{country}'s capital city is"],
      ["Where is the seat of government of {country}?", "The seat of government of {country} is in"],
      ["Tell me which city is {country}'s capital.", "{country}'s capital is"],
    ],
    heldoutTemplates: 2,
    entities: CAPITALS,
    vars: (e) => ({ country: e.country }),
    value: (e) => e.capital,
    confusion: (e) => e.confusion,
    all: CAPITALS.flatMap((c) => [c.capital, c.confusion]),
    caseSensitive: false,
  }),
  _family<Capital>({
    name: "facts.country_of_capital",
    texts: [
      ["{capital} is the capital of which country?", "{capital} is the capital of"],
      ["Which country has {capital} as its capital?", "The country with {capital} as its capital is"],
      ["What country is {capital} the capital of?", "{capital} is the capital city of"],
      ["Of which nation is {capital} the capital?", "The nation whose capital is {capital} is"],
    ],
    heldoutTemplates: 1,
    entities: CAPITALS,
    vars: (e) => ({ capital: e.capital }),
    value: (e) => e.country,
    confusion: (e, rng) => rng.pick(CAPITALS.filter((c) => c.key !== e.key)).country,
    all: CAPITALS.map((c) => c.country),
    caseSensitive: false,
  }),
  _family<Element>({
    name: "facts.element_symbol",
    texts: [
      ["What is the chemical symbol for {name}?", "The chemical symbol for {name} is"],
      ["Which symbol stands for {name} on the periodic table?", "On the periodic table, {name} is"],
      ["Give the element symbol of {name}.", "The element symbol of {name} is"],
      ["What's the symbol for the element {name}?", "The symbol for the element {name} is"],
      ["How is {name} written on the periodic table?", "On the periodic table, {name} is written"],
      ["Write the chemical symbol of {name}.", "The chemical symbol of {name} is"],
    ],
    heldoutTemplates: 2,
    entities: ELEMENTS,
    vars: (e) => ({ name: e.name }),
    value: (e) => e.symbol,
    confusion: (e) => e.confusion,
    all: ELEMENTS.flatMap((e) => [e.symbol, e.confusion]),
    caseSensitive: true,
  }),
  _family<Element>({
    name: "facts.element_name",
    texts: [
      ["Which element has the symbol {symbol}?", "The element with the symbol {symbol} is"],
      ["What element does {symbol} stand for?", "{symbol} stands for"],
      ["Name the element with chemical symbol {symbol}.", "The element with chemical symbol {symbol} is"],
      ["{symbol} is the symbol of which element?", "{symbol} is the symbol of"],
    ],
    heldoutTemplates: 1,
    entities: ELEMENTS,
    vars: (e) => ({ symbol: e.symbol }),
    value: (e) => e.name,
    confusion: (e, rng) => rng.pick(ELEMENTS.filter((x) => x.key !== e.key)).name,
    all: ELEMENTS.map((e) => e.name),
    caseSensitive: false,
  }),
];
