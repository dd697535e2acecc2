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
 *   then  a few thousand common English words (listed below, written from general knowledge, no
 *         download);
 *   then  common word prefixes ("un", "re", ...), suffix pieces ("##s", "##ed", "##ing", ...) and
 *         every two-letter "##" piece, so unknown words split into fewer, longer pieces.
 * Duplicates keep their first id. Deterministic: running it twice gives the same bytes.
 *
 * Usage: node packages/models/scripts/make_tokenizer.mjs [output path, default assets/tokenizer.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUTPUT = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL('../assets/tokenizer.json', import.meta.url));

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

/** More common English words: everyday nouns, verbs and adjectives. */
const MORE_COMMON_WORDS = `
accept accepted accident account accounts achieve act action actions active activity actor add
address admit adult advance advice affect afford agency agent ago agreement ahead aim air airport
alarm album alive allow almost alone already alright altogether amazing among amount ancient
angle animal ankle announce annual another answer anybody anyway apartment apparent appeal apply
appointment approach approve argue argument arise army arrange arrival arrive article artist
aspect assume attack attempt attend attention attitude attract audience author authority
available avoid award aware awful baby background badly bake balance band bank bar barely base
baseball basic basis basket basketball bath battery battle beach bean beat beautiful beauty bell
belong belt bench bend benefit bet bill bit bite blame blank blanket blind blow board boat bomb
bond bone bonus border born borrow boss bother bottom bounce brain branch brand brave breath
breathe brick bridge brief briefly brilliant broad budget bug bunch burden burn bury bush busy
butter buyer cabin cable calculate calm campaign camp cancel cancer candidate candle candy
capable capacity capital captain capture carbon career careful carpet cash castle casual cattle
cause cave celebrate cent central ceremony chain chair chairman challenge champion chance channel
chapter character charge chart chase cheap cheek cheer chef chemical chest chicken chief chip
chocolate choice church cigarette circle citizen civil claim classic clay clerk clever client
cliff climate clinic clock closely clothing club clue coach coal coast code collect collection
column combine comfort comfortable command comment commercial commit committee communicate
community compare comparison compete competition complain complete complex computer concept
concern concert conclude condition conduct conference confidence confirm conflict confuse
congress connection conscious constant contain container content contest context contract
contrast contribute control conversation convince cookie copper core corn correct cotton cough
council count counter county couple courage course court cousin crack craft crash crazy cream
credit crew crime criminal crisis critic critical crop crowd crucial cruel culture cupboard cure
curious currency curtain curve custom customer cycle daily damage danger dare data date deal
dear debate debt decade decision deck declare deer defeat defend defense define definitely degree
delay deliver delivery demand democracy deny department depend deposit depth desert deserve
desire destroy detail detect determine device diet difference dig digital dinner direct
direction director dirt disagree disappear discover discovery disease dish display distance
district divide division document dollar domestic dominate double doubt dozen draft drag drama
dream drop drug drum duty eager earn east eastern economic economy edge edit edition education
effect effective effort elderly elect election electric electricity element else email emerge
emergency emotion emotional emphasis employ employee empty encourage enemy engage engineer enjoy
enormous ensure enter entertainment entire entrance environment episode equipment error escape
essay essential establish estate estimate event eventually evidence evil exact exam examine
excellent exchange excited exciting exercise exist existence exit expand expensive experiment
expert explore export expose express expression extend extent extreme fabric facility factor
factory fail failure fair faith false fame familiar fan fancy fantasy farm fashion fat fault
favor favorite fear feature federal fee feed female fence festival fever field fight file final
finance financial fine finger finish firm fit flat flavor flesh flight float flood flow fly focus
fold folk fool football force foreign forever forget formal former fortune forward frame freedom
frequent fresh fridge fuel fun function fund funny furniture gain gallery gap garage gas gate
gather gender gene generation gentle gentleman ghost giant girlfriend glad global goal god gold
golf grab grade grain grand grandmother grant grass grave gray greatly ground growth guarantee
guard guess guest guide guilty guitar gun guy habit hall handle happy harbor harm hat hate
headline heal health healthy heavy height hell hero hide highly highway hip hire historic hole
holiday holy honest honey honor horror hospital host hotel housing huge humor hunger hungry hunt
hurry hurt ice identify identity ignore ill illness imagine impact impose impress impression
improve incident income independent index indicate individual industry infant influence inform
initial injury innocent insist install instance instrument insurance intend intense interest
interesting internal internet interview introduce invent invest investigate invite involve iron
island issue jacket jail jeans jewel joint joke journey judge juice jump jungle junior jury
justice keen kid kiss kit knee knock knowledge lab labor ladder lady lamp landscape lane lap laser
latter launch lawn lawyer layer lazy league lean lecture legal lemon lend length lesson liberal
library license lid lift limit link lion liquid listen literature load loan lock logic lonely
loose lord lose loud lovely lover luck lucky machine mad magazine magic mail maintain male mall
manage manager manner manufacture margin marine marriage married mass massive master material
math matter meal meaning measure mechanism media medical medicine memory mental mention menu mere
merely mess message metal method middle midnight military mind mineral minister minority
mirror miss mission mistake mobile model moderate monitor mood moral motion motor mount mouse
movement mud muscle museum mystery nail narrow nation native nearby neat necessary neck negative
neighbor nerve nervous net network nice noise none noon normal north northern note notice novel
nurse nut obey object observe obtain obvious obviously occasion occur odd offense officer
official oil online operate operation opinion opponent opportunity option orange ordinary
organization organize origin ought outcome oven owner pace pack package page pain pan panel panic
pants parent park parking partner party passage passenger passion path patient pattern pause
peak pen penalty pension pepper perfect perform performance permit personal pet phase phrase
physical piano pile pilot pink pipe pitch pity plan planet plastic platform plenty plot pocket
poem poet poetry police policy polite pollution pool pop population port pose possess post pot
potato pound powder practice praise pray prayer precise predict pregnant presence preserve
president press pressure pretend prevent pride priest primary prime principle print prior
priority prison prisoner private prize process produce product profession professor profile
profit progress promise proof proper property proposal protect protest proud prove pump punch
punish purchase pure purpose pursue puzzle quality quantity quarter queen quiet quit quote race
radio rail range rank rapid rare rarely rate rather ratio raw reaction reader realistic reality
rear reasonable recall recipe recommend recover reduce refer reflect reform refuse regard region
regular reject relate relation relationship relax release relevant relief religion rely remote
rent repair repeat reply represent request rescue research resident resist resource respect
respond response responsible restaurant restore retire reveal revenue review reward rhythm rice
rich rid rifle risk rival roof root rope rose rough route routine royal rub rubber rude ruin rural
rush sack sacred safety sail salad salary sale salt sample satisfy sauce scene schedule scheme
scholar score scream screen script sculpture seat secret secretary section sector secure
security seed seek select self sell senate senator senior sense sensitive sentence sequence
series session settle settlement severe sex shake shall shame share shelf shell shelter shift
shine shock shop shore shoulder shower sick sight signal silence silent silk silly sing sink sir
site situation skill skirt slave slice slight slip slope smell smoke snap soap soccer sock soil
soldier solution solve somewhat song soul sound source south southern speaker species speech
speed spell spend spirit split sport spread squad stable staff stage stair stake stamp standard
station status steady steal steam steel steep stem stick stiff stock stomach storage store storm
strategy straw stream strength stress strict strike string strip stroke structure struggle
stupid subject submit succeed success successful sudden suffer sugar suggest suit summit super
supply suppose surely surface surgery surprise survey survive suspect sustain swear sweep sweet
swing switch sword symbol sympathy tale talent tank tap tape target task taste tax taxi teaching
tear technique technology teenager telephone television temperature temple tend tennis tension
tent term terrible territory text theater theme theory therapy thick thief thin threat threaten
throat thumb ticket tide tight tip tired tissue title toe toilet tomato tone tongue tool topic
total tough tour tourist towel tower track trade tradition traffic tragedy trail transfer
transform translate transport trap trash treat treatment trend trial trick trip troop trouble
trust truth tube tune tunnel twin typical uniform union unique unit universe unknown upset urban
urge useful usual vacation valley valuable value van variety various vast vehicle venture
version victim victory video view village violence virtue visible vision visitor visual voice
volume vote wage wall wander war warn warning waste wealth weapon wedding weekly weight welcome
west western whatever wheat whisper wild wildlife willing wine wing winner wire wise witness
wonder wonderful wood wooden wool worry worth wound yard yell yellow yesterday yield youth zone
able above absolutely absence abroad academic access accompany accurate accuse across actual
acts adapt additional adequate adjust administration admire adopt advantage adventure
advertisement advertising advise affair afraid afterwards agenda aggressive aid alcohol alike
alliance ally alter alternative amendment analysis analyze ancestor anger angry anniversary
anxiety anxious apart apologize apparently appearance appetite apple appreciate appropriate
approval approximately arena arrest arrow aside asleep assess asset assign assist assistance
assistant associate association assumption athlete atmosphere attach attorney attribute auction
aunt automatic automatically autumn average await awake awareness backyard bacteria bakery
balloon ban bare bargain barrel barrier bat bay beam beard beef beer beg behave behavior being
belief beloved beneath berry beside besides bias bicycle bind biology birth biscuit bitter blade
blend bless blood bloom blossom boil bold boost booth boring boundary bowl boxing brass bread
breakfast breast breeze bride brush bubble bucket buddy buffalo bull bullet bundle burst butterfly
cafe cage calendar camel canal cap captain carrot cart cartoon carve catalog category cattle
ceiling cell cereal certificate champagne chaos charity charm chat cheese cherry chess chin
chorus cinema circus clap classroom claw clear clinic closet cloth coat cocktail coconut coffee
coin collar colleague colony comb combat comedy comic commander comparison compass composer
compute concrete cone confident congratulations consider constitution consumer contact continent
convert cook cookie cooperation cope copy cord corridor costume cottage couch counsel courtyard
cow crab cradle crane crawl crayon creature crown crystal cube cucumber cultural cup curl cushion
cute dairy dam dawn deaf decorate decoration defender delicate delicious dentist desk dessert
destination diamond diary dice dictionary dinosaur dip dirty disk dive doll dolphin donkey dose
dot dough dove dragon drawer dress drill drip drown duck dust eagle earring echo eel elbow
elephant elevator embrace empire enemy engine envelope equal erase eraser evening exit explosion
eyebrow fairy falcon fan farmer feather ferry fig fist flag flame flash flock flour flute foam fog
fountain fox frog frost fur galaxy garlic gear gem giraffe glove glue goat goose gorilla
grandfather grape grapefruit gravity groceries guitar gum hammer hamster handbag harp hawk hay
helicopter helmet hen hill hippo hive hook horn hose hut igloo ink insect jam jar jelly jet kettle
kangaroo kitchen kitten knot koala ladybug lake lantern lawn leaf leather lemon leopard lettuce
lighthouse lily lizard lobster log lollipop magnet mango map marble mat meadow melon microphone
milk mitten monkey moose mosquito moth motorcycle muffin mug mushroom nest necklace needle nurse
octopus onion orchard ostrich otter owl ox paddle palace palm panda parachute parrot peach peanut
pear pearl pebble pelican pencil penguin pepper piano pie pig pigeon pillow pine pineapple pizza
plum pond popcorn porch pumpkin puppy quilt rabbit raccoon radish rainbow rake rat raven robot
rocket rooster rug ruler saddle sailboat sandwich saucer saw scarf scissors scooter seal seesaw
shark shovel shrimp skateboard ski skunk sled slipper snail snowman spider sponge spoon squirrel
stool stove strawberry submarine suitcase sunflower swan sweater swing taco teapot teddy
telescope tiger toad toaster toast tomato toothbrush tortoise tractor trumpet tulip turkey turtle
unicorn vase violin volcano wagon walrus wallet walnut watermelon whale whistle wolf worm yacht
yogurt zebra zipper zoo
`;

/** Prefixes that start many words (whole tokens, so the rest continues with "##"). */
const PREFIXES = `un re dis pre non mis sub anti inter super trans semi multi over under out`;

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
    ...words(MORE_COMMON_WORDS),
    ...words(PREFIXES),
    ...words(SUFFIX_PIECES),
    ...[...LETTERS].flatMap((a) => [...LETTERS].map((b) => `##${a}${b}`)),
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

/** Pretty-printed with two-space indentation, as Hugging Face writes tokenizer.json. */
function render(json) {
  return `${JSON.stringify(json, null, 2)}\n`;
}

const vocab = buildVocab();
const text = render(buildTokenizerJson(vocab));
mkdirSync(dirname(OUTPUT), { recursive: true });
writeFileSync(OUTPUT, text);
console.log(`wrote ${OUTPUT}: ${Object.keys(vocab).length} tokens, ${Buffer.byteLength(text)} bytes`);
