#!/usr/bin/env node
/**
 * Writes packages/models/assets/tokenizer.json: a small WordPiece tokenizer in exactly the Hugging
 * Face `tokenizer.json` layout of bert-base-uncased (BertNormalizer lowercasing and stripping
 * accents, BertPreTokenizer, TemplateProcessing "[CLS] $A [SEP]", WordPiece decoder and model with
 * unk "[UNK]", prefix "##", 100 characters per word at most).
 *
 * Vocabulary, in id order:
 *   0-4   [PAD] [UNK] [CLS] [SEP] [MASK]
 *   then  every single character a-z, 0-9 and ASCII punctuation, then their "##" forms, so any
 *         lowercase ASCII word tokenizes without [UNK];
 *   then  the synthetic dataset's words as whole tokens;
 *   then  a few thousand common English words (listed below, written from general knowledge);
 *   then  common suffix pieces ("##s", "##ed", "##ing", ...).
 * Duplicates keep their first id. Deterministic: running it twice gives the same bytes.
 *
 * Usage: node packages/models/scripts/make_tokenizer.mjs
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUTPUT = fileURLToPath(new URL('../assets/tokenizer.json', import.meta.url));

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** Words of the synthetic instruction dataset; each must stay a single token. */
const DATASET_WORDS = `
the a an of on in at to into with and next above below left right top bottom middle center
small large big tiny red green blue yellow purple orange circle square triangle diamond ring
cross remove delete erase make turn change paint color put add place draw hat star dot stripe
outline bigger smaller it that one object shape
`;

/** Common English words, roughly grouped; lowercase ASCII only. */
const COMMON_WORDS = `
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
its itself we us our ours ourselves they them their theirs themselves this these those who whom
whose which what whatever whoever whichever where when why how there here then than thus so such
also too very just only even still already yet again ever never always often sometimes usually
maybe perhaps quite rather almost enough much many more most less least few fewer little lot lots
some any no none all both each every either neither other another same different own several
not nor but or if because since while although though unless until till whether as like unlike
about across after against along among around before behind beneath beside besides between beyond
by despite down during except for from inside near off onto out outside over past per through
throughout toward towards under underneath up upon via within without am is are was were be been
being have has had having do does did doing done will would shall should can could may might must
ought yes ok okay please thanks thank hello hi goodbye bye sorry well oh hey wow
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
million billion first second third fourth fifth sixth seventh eighth ninth tenth last half double
single pair dozen once twice zero number numbers
go goes went gone going come comes came coming get gets got getting gotten give gives gave given
giving take takes took taken taking see sees saw seen seeing look looks looked looking watch
watches watched watching know knows knew known knowing think thinks thought thinking say says said
saying tell tells told telling ask asks asked asking answer answers answered use uses used using
find finds found finding want wants wanted wanting need needs needed needing try tries tried trying
leave leaves left leaving call calls called calling feel feels felt feeling become becomes became
keep keeps kept keeping let lets begin begins began begun beginning start starts started starting
seem seems seemed help helps helped helping show shows showed shown showing hear hears heard
hearing play plays played playing run runs ran running move moves moved moving live lives lived
living believe believes believed bring brings brought bringing happen happens happened write
writes wrote written writing read reads reading sit sits sat sitting stand stands stood standing
lose loses lost losing pay pays paid paying meet meets met meeting include includes included
including continue continues continued set sets setting learn learns learned learning lead leads
led leading understand understands understood follow follows followed following stop stops stopped
stopping create creates created creating speak speaks spoke spoken speaking allow allows allowed
grow grows grew grown growing open opens opened opening walk walks walked walking win wins won
winning offer offers offered remember remembers remembered love loves loved loving consider
considered appear appears appeared buy buys bought buying wait waits waited waiting serve served
die dies died dying send sends sent sending expect expected build builds built building stay
stays stayed fall falls fell fallen falling cut cuts cutting reach reached kill killed raise
raised pass passes passed passing sell sells sold selling decide decided return returns returned
explain explained hope hopes hoped develop developed carry carries carried carrying break breaks
broke broken breaking receive received agree agreed support supported hit hits hold holds held
holding produce produced eat eats ate eaten eating cover covers covered covering catch caught
choose chose chosen pick picks picked picking drop drops dropped dropping push pushes pushed
pull pulls pulled fill fills filled filling close closes closed closing shut open hide hides
hid hidden hiding keep fix fixed mix mixed join joined joins count counted counts check checked
checks match matched matches fit fits fitted fitting rotate rotated rotating rotation flip flipped
flipping shift shifted shifting slide slid sliding swap swapped swapping replace replaced replacing
copy copied copying paste pasted select selected selecting choose highlight highlighted mark
marked marking label labeled labels fill shade shaded shading color colored coloring colour
coloured darken darker lighten lighter brighten brighter dim dimmer blur blurred sharpen sharper
resize resized resizing scale scaled scaling shrink shrank shrunk grow enlarge enlarged reduce
reduced reducing increase increased increasing decrease decreased decreasing expand expanded
stretch stretched crop cropped align aligned center centered centre centred stack stacked group
grouped arrange arranged sort sorted order ordered line lined lines surround surrounded
surrounding touch touched touching connect connected connecting separate separated attach
attached detach wear wears wore worn wearing hang hung hanging lie lies lay lying sleep sleeps
slept sleeping wake woke drink drinks drank drinking cook cooked cooking clean cleaned cleaning
wash washed washing dry dried drying fly flies flew flown flying swim swims swam swimming drive
drives drove driven driving ride rides rode ridden riding jump jumps jumped jumping climb climbed
throw throws threw thrown throwing kick kicked sing sings sang sung singing dance danced dancing
smile smiled laugh laughed cry cried shout shouted talk talks talked talking listen listened
work works worked working study studied teach taught travel traveled visit visited enjoy enjoyed
like liked likes hate hated prefer preferred wish wished plan planned prepare prepared describe
described discuss discussed report reported suggest suggested require required provide provided
remain remained stay suppose supposed imagine imagined notice noticed realize realized recognize
recognized forget forgot forgotten forgive share shared save saved spend spent earn earned owe
cost costs fight fought shoot shot pour poured shake shook shaken fold folded roll rolled spin
spun tie tied wrap wrapped tear torn burn burned burnt melt melted freeze froze frozen boil
boiled fry fried bake baked cast paint painted painting sketch sketched trace traced erased
deleted removed added placed drew drawn drawing made making turned turning changed changing
put putting adding placing making
time times year years day days week weeks month months hour hours minute minutes second seconds
morning afternoon evening night nights today tomorrow yesterday tonight now later soon early late
moment moments past future present age ages century period season seasons spring summer autumn
fall winter monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december weekend holiday birthday
people person man men woman women child children boy boys girl girls baby babies friend friends
family families mother father mom dad parent parents brother brothers sister sisters son sons
daughter daughters husband wife uncle aunt cousin grandmother grandfather king queen prince
princess doctor teacher student students worker workers farmer driver player players team teams
leader member members group groups class classes school schools college university home house
houses room rooms door doors window windows wall walls floor floors roof ceiling kitchen bedroom
bathroom garden yard street streets road roads city cities town towns village country countries
world earth land sea ocean river rivers lake lakes mountain mountains hill hills forest forests
tree trees flower flowers grass leaf leaves plant plants rock rocks stone stones sand water fire
air wind rain snow ice sun moon sky cloud clouds weather light lights dark darkness shadow shadows
heat cold warm hot cool wet dry
body head face eye eyes ear ears nose mouth lip lips tooth teeth hair neck shoulder shoulders arm
arms hand hands finger fingers leg legs foot feet knee back heart blood bone bones skin brain
animal animals dog dogs cat cats bird birds fish horse horses cow cows pig pigs sheep goat chicken
duck mouse mice rabbit bear bears lion tiger elephant monkey snake frog bee bees insect butterfly
food foods bread cake apple apples banana bananas egg eggs milk cheese meat rice soup sugar salt
tea coffee juice fruit fruits vegetable vegetables breakfast lunch dinner meal cup cups plate
plates bowl bowls glass glasses bottle bottles spoon fork knife table tables chair chairs bed beds
desk sofa couch lamp clock box boxes bag bags book books paper papers pen pencil pencils card
cards letter letters picture pictures photo photos image images camera phone computer screen
keyboard car cars bus buses train trains plane planes boat boats ship ships bike bicycle truck
wheel wheels engine ball balls toy toys game games doll kite gift gifts key keys coin coins money
shirt shirts dress coat jacket shoe shoes sock socks cap cloth clothes button buttons pocket belt
ribbon bow crown mask glove gloves scarf boot boots umbrella flag flags sign signs map maps
thing things stuff part parts piece pieces side sides end ends edge edges corner corners point
points area areas space spaces place places position positions way ways kind kinds sort type
types form forms size sizes amount level levels rest front middle inside surface background
foreground border borders frame frames pattern patterns texture style styles design designs
word words name names story stories question questions idea ideas fact facts reason reasons
problem problems example examples case cases result results rule rules system systems program
programs project projects information data list lists table record step steps test tests
experience job jobs business company companies market office money price prices service services
money government state states law laws war power health life lives death history art music song
songs movie movies film films news language languages science nature energy force war peace
color colors colour colours shape shapes object objects item items figure figures symbol symbols
icon icons mark marks spot spots dots stars stripes circles squares triangles diamonds rings
crosses hats outlines lines curve curves arrow arrows heart hearts moon moons cube cubes sphere
spheres cone cones cylinder cylinders rectangle rectangles oval ovals ellipse hexagon pentagon
octagon polygon polygons arc arcs wave waves spiral spirals grid grids block blocks tile tiles
brick bricks column columns row rows layer layers pixel pixels mask masks region regions patch
patches segment segments cell cells boundary center centers dot
white black gray grey brown pink violet cyan magenta gold golden silver beige tan navy teal
maroon olive lime indigo turquoise crimson scarlet lavender dark light bright pale deep vivid
colorful colourful transparent opaque solid striped spotted dotted plain shiny matte
good better best bad worse worst great new old young long short tall high low wide narrow thick
thin heavy light fast slow quick easy hard difficult simple important possible impossible
able sure true false real right wrong full empty whole free open closed public private special
general common main major minor certain clear strong weak rich poor happy sad angry afraid
beautiful pretty ugly nice fine clean dirty quiet loud soft sharp smooth rough round flat
straight curved bent square circular triangular rectangular oval pointed hollow hard soft near
far close distant nearby upper lower inner outer central horizontal vertical diagonal parallel
opposite single double triple entire other extra similar same equal huge giant enormous massive
miniature little medium average normal regular strange odd even funny serious ready busy alive
dead safe dangerous cheap expensive famous popular modern ancient recent final previous next
following current original natural human personal local national international social political
large larger largest smallest biggest tiniest tinier longer longest shorter shortest taller
tallest higher highest lower lowest wider widest thicker thinner brighter darkest lightest
only alone together apart forward backward upward downward sideways around everywhere somewhere
anywhere nowhere inside outside upstairs downstairs away ahead aside
really actually probably certainly finally quickly slowly carefully easily simply clearly nearly
exactly completely slightly partly mostly entirely directly immediately suddenly recently
especially particularly generally usually quite instead otherwise therefore however meanwhile
everything something anything nothing everyone someone anyone nobody everybody somebody
`;

/** Suffix pieces that continue a word. */
const SUFFIX_PIECES = `
##s ##es ##ed ##d ##ing ##ings ##er ##ers ##est ##r ##st ##ly ##ily ##ally ##y ##ies ##ied
##ier ##iest ##ness ##ment ##ments ##tion ##tions ##sion ##sions ##ation ##ations ##able ##ible
##ful ##less ##ous ##ious ##ive ##ity ##ize ##ized ##izes ##izing ##ise ##ised ##ism ##ist
##ists ##ian ##ians ##ic ##ical ##al ##ial ##en ##ened ##ship ##hood ##ward ##wards ##like ##ish
##ance ##ence ##ant ##ent ##ery ##ory ##ary ##age ##ure ##th ##nd ##rd ##an ##ate ##ated ##ates
##ating ##or ##ors ##ee ##ees ##let ##lets ##ette ##ie ##o ##a ##e ##i ##u ##re ##un ##in
`;

function words(text) {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

function buildVocab() {
  const chars = [...LETTERS, ...DIGITS, ...PUNCTUATION];
  const ordered = [
    ...SPECIAL_TOKENS,
    ...chars,
    ...chars.map((c) => `##${c}`),
    ...words(DATASET_WORDS),
    ...words(COMMON_WORDS),
    ...words(SUFFIX_PIECES),
  ];
  for (const token of ordered) {
    const plain = token.startsWith('##') ? token.slice(2) : token;
    const ok = SPECIAL_TOKENS.includes(token) || chars.includes(plain) || /^[a-z]+$/.test(plain);
    if (!ok) throw new Error(`make_tokenizer: token ${JSON.stringify(token)} is not lowercase ASCII`);
  }
  const vocab = {};
  let id = 0;
  for (const token of ordered) {
    if (Object.hasOwn(vocab, token)) continue;
    vocab[token] = id++;
  }
  return vocab;
}

function buildTokenizerJson(vocab) {
  const special = (content) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Pretty-printed like Hugging Face's files, but with one vocab entry per line kept short. */
function render(json) {
  return `${JSON.stringify(json, null, 2)}\n`;
}

const vocab = buildVocab();
const text = render(buildTokenizerJson(vocab));
mkdirSync(dirname(OUTPUT), { recursive: true });
writeFileSync(OUTPUT, text);
console.log(`wrote ${OUTPUT}: ${Object.keys(vocab).length} tokens, ${Buffer.byteLength(text)} bytes`);
