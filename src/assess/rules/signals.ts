/**
 * The rules assessor's signal table: data, not code, so a reviewer can see why a factor got its value.
 *
 * Each signal is generic capability language (never the name of a product or listing, and no
 * pattern, alternative or option that fires on exactly one reference listing and on no other listing
 * the project holds: test/assess/calibration.test.ts checks both). When one of
 * its patterns matches a sentence of the listing that does not negate it ("No tools, …", "rather
 * than LLMs"), the signal fires with that sentence as its exact quote and:
 * - moves each factor in `factors` by its delta (positive deltas combine as a probabilistic OR,
 *   so many weak signals saturate instead of overflowing; negative deltas subtract);
 * - adds its `notes` and `threats` to the layers it names, and makes the layers in `grounds` certain;
 * - nudges the CVSS vector (`cvss`), the mitigation count (`mitigates`) and exploit maturity (`poc`).
 *
 * Absence signals (`absence: true`) are the explicit statements that something is NOT there
 * ("No tools, planning or …"); their patterns include the negation and they are never negated.
 * Calibrated against evals/reference-dev (see test/assess/calibration.test.ts).
 */
import type { LayerNumber, ListingFactorKey } from '../../../schemas/factors.js';

type ImpactLevels = Partial<Record<'VC' | 'VI' | 'VA' | 'SC' | 'SI' | 'SA', 'L' | 'H'>>;

/**
 * How a signal shapes the CVSS v4.0 vector of the most plausible exploit path (see cvss.ts):
 * impacts only ever rise (the highest wins); AV, AT and UI are decided by which signals ask for what.
 */
export interface CvssNudge {
  /** Attack vector: L when the agent is said to run only locally; N when it takes network input (N wins). */
  AV?: 'N' | 'L';
  /** Attack requirements: P for a component others deploy (model, skill, protocol); N for a deployed service (N wins). */
  AT?: 'N' | 'P';
  /** User interaction: N when untrusted content reaches the agent without a user step (wins), A with a human approving. */
  UI?: 'N' | 'A';
  /** Impacts on the agent (V*) and on the systems it acts on (S*). */
  impact?: ImpactLevels;
  /** Impacts that apply only when some fired signal is an exfiltration channel (held data becomes leakable). */
  withChannel?: ImpactLevels;
  /** The agent can send data out (outbound tools, messages, fetches, code). */
  channel?: boolean;
}
export interface Signal {
  /** Stable kebab-case id, named in rationales. */
  id: string;
  /** What the signal means, in words used in rationales and layer texts. */
  label: string;
  patterns: readonly RegExp[];
  /** True when the patterns themselves state an absence: they are never treated as negated. */
  absence?: boolean;
  /** Factor deltas when the signal fires (negative lowers the factor). */
  factors: Partial<Record<ListingFactorKey, number>>;
  /** Layers whose certainty this signal establishes (with its quote as grounded evidence). */
  grounds: readonly LayerNumber[];
  /** A clause per layer for the layer text ("it runs shell commands on the host"). */
  notes: Partial<Record<LayerNumber, string>>;
  /** Short threat names per layer. */
  threats: Partial<Record<LayerNumber, readonly string[]>>;
  cvss?: CvssNudge;
  /** Counts towards the mitigation level (guardrails, human review, compliance claims). */
  mitigates?: boolean;
  /** Public proof-of-concept attacks exist for this capability class (prompt injection into tools). */
  poc?: boolean;
}

/** The signal table. Order is the order rationales list them in. */
export const SIGNALS: readonly Signal[] = [
  // ── Foundation model and generation ────────────────────────────────────────────────────────
  {
    id: 'llm-backed',
    label: 'relies on large language models',
    patterns: [
      /\bLLMs?\b|\b(?:large )?language models?\b|\bfoundation models?\b|\bgenerative\b/i,
      /\bAI[- ](?:powered|driven|based)\b|\bAI (?:[\w-]+ )?(?:assistant|agents?|chatbot|tutor|platform|features?|copilot)\b|\bchatbot\b/i,
    ],
    factors: { nonDeterminism: 0.15, opacityAndReflexivity: 0.1, contextualAwareness: 0.05 },
    grounds: [],
    notes: { 1: 'it relies on large language models for its output' },
    threats: { 1: ['prompt injection', 'jailbreak'] },
    poc: true,
  },
  {
    id: 'named-model-basis',
    label: 'names the model it is built on',
    patterns: [
      /\b(?:[Bb]uilt on|[Pp]owered by|[Bb]ased on) [A-Z][\w'’.-]*/,
      /\b(?:[Ww]raps|[Uu]ses|[Cc]alls) (?:[A-Z][\w'’.-]*(?: |, | and | or ))+(?:[\w-]+ )?models?\b/,
      /\b[Rr]uns [A-Z][\w.-]*(?: [A-Z0-9][\w.-]*)* locally\b/,
      /\b(?:[Ii]ncludes|[Oo]ffers) (?:[\w-]+,? )*(?:and |or )?[\w-]+ models? such as [A-Z]/,
      /\btext-to-image (?:foundation )?models?\b/i,
    ],
    factors: { opacityAndReflexivity: 0.05 },
    grounds: [1],
    notes: { 1: 'the listing names the model family it runs on' },
    threats: { 1: ['adversarial inputs', 'jailbreaks'] },
  },
  {
    id: 'generative-media',
    label: 'generates images, video or voice',
    patterns: [
      /\bimage generat\w*|\bimage (?:generator|editing|editor)\b|\btext-to-image\b|\bimage-to-image\b/i,
      /\bvoice models?\b|\bvideo generat\w*|\bvoice cloning\b|\bdeepfakes?\b|\bgenerative models?\b/i,
    ],
    factors: { nonDeterminism: 0.25, opacityAndReflexivity: 0.25 },
    grounds: [],
    notes: { 1: 'it generates media from user prompts, so unsafe or deceptive output is a first-order risk' },
    threats: { 1: ['safety filter bypass', 'deepfake or harmful output'], 2: ['upload-based poisoning', 'exfiltration of private user images and assets'], 4: ['resource exhaustion', 'media file parsing exploits'] },
    cvss: { impact: { VI: 'L' } },
  },
  {
    id: 'reasoning-model',
    label: 'is a reasoning model',
    patterns: [/\breasoning (?:foundation )?models?\b|\bmixture[- ]of[- ]experts\b|\bchain[- ]of[- ]thought\b/i],
    factors: { goalDrivenPlanning: 0.5, nonDeterminism: 0.25, opacityAndReflexivity: 0.35, contextualAwareness: 0.25 },
    grounds: [1],
    notes: { 1: 'it is itself a large reasoning model whose behaviour depends on how it is integrated downstream' },
    threats: { 1: ['jailbreaks', 'fine-tuning alignment drift'] },
  },
  {
    id: 'component',
    label: 'is a component others integrate (model weights, library, protocol)',
    patterns: [/\bfoundation model\b|\bopen[- ]weights?\b|\bmodel weights\b|\bSDK\b|\blibrary\b|\b(?:protocol|framework|toolkit) for\b|\b(?:skill|plugin) (?:for|from)\b/i],
    factors: {},
    grounds: [],
    notes: { 7: 'it reaches users through whoever integrates it' },
    threats: { 7: ['supply-chain compromise of the component'] },
    cvss: { AT: 'P' },
  },
  {
    id: 'deterministic-processing',
    label: 'processes deterministically, without a language model',
    patterns: [
      /\bdeterministic\b|\brule-based\b|\bcomputer[- ]vision\b/i,
      /\b(?:rather than|instead of|without) (?:\w+ )?(?:LLMs?|language models?)\b/i,
    ],
    factors: { nonDeterminism: -0.35, opacityAndReflexivity: -0.1 },
    grounds: [],
    notes: { 1: 'its processing is described as deterministic rather than generative' },
    threats: { 1: ['adversarial media inputs'], 4: ['media file parsing exploits'] },
  },
  {
    id: 'pass-through-gateway',
    label: 'routes requests to other models or servers without a model of its own',
    patterns: [
      /\b(?:gateway|proxy)\b|\baggregates?\b/i,
      /\bhosts no (?:\w+ )?models?\b/i,
    ],
    absence: true,
    factors: { nonDeterminism: -0.3, opacityAndReflexivity: -0.2, dynamicToolUse: 0.1 },
    grounds: [],
    notes: { 1: 'it forwards traffic to models it does not host, so model-level threats pass through it' },
    threats: { 1: ['passed-through adversarial inputs'], 2: ['payload logging exposure'], 3: ['prompt injection passing through routing'] },
  },
  {
    id: 'classifier',
    label: 'is a narrow classifier',
    patterns: [/\bclassifiers?\b/i],
    factors: { nonDeterminism: -0.25, opacityAndReflexivity: -0.15 },
    grounds: [1],
    notes: { 1: 'it wraps a classifier model, so evasion of that classifier is the main model-level risk' },
    threats: { 1: ['classifier evasion', 'adversarial examples'] },
  },
  {
    id: 'local-only-processing',
    label: 'processes data locally only',
    patterns: [/\b(?:processed|runs?) [\w ]{0,30}(?:in (?:the )?browser|locally|on[- ]device)\b[\w ]{0,20}\bonly\b|\b(?:entirely|fully) (?:on[- ]device|locally|offline|in the browser)\b|\bnothing (?:is uploaded|leaves)\b/i],
    absence: true,
    factors: { nonDeterminism: -0.15, opacityAndReflexivity: -0.15, contextualAwareness: -0.1 },
    grounds: [2],
    notes: { 2: 'data stays local: the listing says inputs are processed only in local memory' },
    threats: { 2: ['no remote data exposure (local only)'] },
    cvss: { AV: 'L' },
  },
  {
    id: 'analytics-only',
    label: 'is an analytics or alerting tool',
    patterns: [/\banalytics (?:and alerting )?tool\b|\b(?:pattern|trend) analysis\b|\blow autonomy\b|\bmostly read-only\b/i],
    absence: true,
    factors: { nonDeterminism: -0.3, opacityAndReflexivity: -0.2, autonomyOfAction: -0.1 },
    grounds: [],
    notes: { 3: 'it is described as analytics with little autonomy' },
    threats: { 3: ['webhook or export abuse'] },
  },
  // ── Autonomy and action ───────────────────────────────────────────────────────────────────
  {
    id: 'autonomous',
    label: 'acts autonomously',
    patterns: [/\bautonomous(?:ly)?\b|\bon its own\b|\bwithout human (?:review|approval)\b/i],
    factors: { autonomyOfAction: 0.45, goalDrivenPlanning: 0.25, opacityAndReflexivity: 0.05 },
    grounds: [],
    notes: { 3: 'it acts autonomously, without a stated human approval step' },
    threats: { 3: ['plan hijacking', 'unintended autonomous actions'] },
    cvss: { UI: 'N' },
  },
  {
    id: 'executes-code',
    label: 'executes code or shell commands',
    patterns: [
      /\bruns? (?:bash |shell |build |test |build and test )*commands\b/i,
      /\bexecutes? (?:[\w-]+ ){0,2}(?:code|commands|actions|scripts|modules)\b|\bcode (?:nodes|steps|execution)\b/i,
      /\b(?:writes|generates) and (?:runs|executes)\b/i,
    ],
    factors: { autonomyOfAction: 0.35, dynamicToolUse: 0.45, selfModification: 0.1, goalDrivenPlanning: 0.1, contextualAwareness: 0.1 },
    grounds: [3],
    notes: {
      3: 'it executes code or commands as part of its work',
      4: 'code runs with whatever privileges the host grants, and no sandbox is stated',
    },
    threats: { 3: ['arbitrary command execution'], 4: ['unsandboxed code execution', 'lateral movement from the host', 'supply-chain compromise via installed packages'] },
    cvss: { impact: { VC: 'H', VI: 'H', VA: 'H', SI: 'L' }, channel: true },
    poc: true,
  },
  {
    id: 'offensive-security',
    label: 'runs offensive security tooling against targets',
    patterns: [/\bpenetration test\w*|\bpentest\w*|\bexploit (?:modules|tools|code)\b|\bred[- ]team\w*|\bvulnerability scann\w+|\bscanners\b/i],
    factors: { dynamicToolUse: 0.2 },
    grounds: [3],
    notes: { 3: 'it runs attack tooling against other hosts', 4: 'its tools reach hosts beyond its own' },
    threats: { 3: ['command execution against out-of-scope targets'], 4: ['attack tooling turned on the operator’s network'] },
    cvss: { impact: { SC: 'H', SI: 'H', SA: 'H' }, channel: true },
    poc: true,
  },
  {
    id: 'browser-automation',
    label: 'drives a web browser on the user’s behalf',
    patterns: [/\bbrowser agent\b|\bcontrols? (?:a |the )?(?:real |headless )?(?:\w+ )?browser\b|\bnavigates? (?:any )?websites?\b|\bfills? (?:in )?(?:\w+ )?forms\b|\bclicks, types\b/i],
    factors: { autonomyOfAction: 0.3, dynamicToolUse: 0.4, goalDrivenPlanning: 0.2, contextualAwareness: 0.2 },
    grounds: [3],
    notes: {
      3: 'it clicks, types and submits forms in a real browser',
      1: 'every page it visits is untrusted input to the model (indirect prompt injection)',
    },
    threats: { 1: ['indirect prompt injection via web pages'], 3: ['prompt injection from visited pages', 'unintended form submissions'], 6: ['session and credential misuse'] },
    cvss: { impact: { SC: 'H', SI: 'H' }, UI: 'N', AV: 'N', channel: true },
    poc: true,
  },
  {
    id: 'self-modifying',
    label: 'rewrites its own instructions or tools',
    patterns: [/\b(?:rewrites|adjusts|modifies|updates|improves) (?:its own|itself)\b|\bnew (?:\w+ )?tools (?:that it|for itself)\b|\btools for itself\b/i],
    factors: { selfModification: 0.6, autonomyOfAction: 0.15, goalDrivenPlanning: 0.15, opacityAndReflexivity: 0.15 },
    grounds: [3],
    notes: { 3: 'it changes its own prompt, parameters or tools between tasks', 1: 'its instructions drift with every self-rewrite' },
    threats: { 3: ['self-modification persisting injected behaviour', 'malicious self-generated tools'], 1: ['alignment drift after self-rewrites'] },
    cvss: { impact: { VI: 'H' }, UI: 'N' },
    poc: true,
  },
  {
    id: 'modifies-files',
    label: 'writes or modifies files and code',
    patterns: [/\bwrites? (?:reports to )?files\b|\breads and writes files\b|\bedits files\b|\b(?:generates|writes) and modifies\b|\bmodif(?:y|ies) (?:code|files)\b/i],
    factors: { autonomyOfAction: 0.2, dynamicToolUse: 0.15, selfModification: 0.05, contextualAwareness: 0.1 },
    grounds: [],
    notes: { 3: 'it writes to files on the host', 2: 'it reads and writes project files' },
    threats: { 3: ['file overwrite via write tool'], 2: ['codebase poisoning'] },
    cvss: { impact: { VI: 'H' } },
  },
  {
    id: 'mutates-infrastructure',
    label: 'changes live infrastructure or security controls',
    patterns: [
      /\bmutates?\b|\bapplies and (?:deletes|rolls back)\b|\b(?:applies|deletes?) (?:\w+ )?(?:manifests|resources)\b|\bscales? deployments\b|\brestarts? (?:pods|services)\b/i,
      /\bfirewalls?\b|\bisolates? hosts?\b|\bblock(?:s|ing)? or approv\w+|\bmerge gate\b/i,
    ],
    factors: { autonomyOfAction: 0.4, dynamicToolUse: 0.2, contextualAwareness: 0.15, goalDrivenPlanning: 0.1 },
    grounds: [3],
    notes: { 3: 'it can change production systems or gate decisions directly', 4: 'its actions reach live infrastructure' },
    threats: { 3: ['unvalidated destructive changes'], 4: ['privilege escalation via inherited roles', 'lateral movement'] },
    cvss: { impact: { VI: 'H', VA: 'H', SI: 'H', SA: 'H' } },
    poc: true,
  },
  {
    id: 'external-communication',
    label: 'sends messages or places calls for the user',
    patterns: [
      /\bsends? (?:[\w/-]+ ){0,3}(?:emails?|messages|alerts|SMS|invitations|campaigns)\b|\breads and sends\b|\bphone calls\b|\bplaces (?:outbound )?calls\b/i,
      /\b(?:schedules|books) (?:\w+ )?appointments\b|\bmanages? (?:\w+ )?calendar\b|\bemail delivery\b|\bIVR\b/i,
    ],
    factors: { autonomyOfAction: 0.3, dynamicToolUse: 0.2, goalDrivenPlanning: 0.15, dynamicIdentity: 0.1, contextualAwareness: 0.1 },
    grounds: [],
    notes: { 3: 'it sends messages or calls on the user’s behalf', 1: 'it acts on content from third parties (messages, calls), a channel for indirect prompt injection' },
    threats: { 3: ['unauthorized sends or bookings', 'indirect injection via incoming replies'], 1: ['indirect prompt injection via messages'], 6: ['phishing or spam sent in the user’s name'] },
    cvss: { impact: { VI: 'H', SI: 'L' }, UI: 'N', AV: 'N', channel: true },
    poc: true,
  },
  {
    id: 'financial-actions',
    label: 'mirrors trades or handles funds',
    patterns: [/\bcopy[- ]trad\w*|\bstrategy mirroring\b|\bexchange (?:credentials|API keys)\b|\bfund movement\b|\bplaces? (?:buy and sell |buy or sell )?orders\b|\bcompletes? checkout\b|\bpays? with\b|\b(?:credit|payment) card\b/i],
    factors: { autonomyOfAction: 0.35, goalDrivenPlanning: 0.2, dynamicToolUse: 0.15, contextualAwareness: 0.1 },
    grounds: [3],
    notes: { 3: 'it can act on financial accounts (copy trading)' },
    threats: { 3: ['unauthorized fund movement via wallet APIs'], 6: ['payment fraud', 'payment credential misuse'] },
    cvss: { impact: { VC: 'H', VI: 'H', SI: 'H' } },
  },
  {
    id: 'human-in-the-loop',
    label: 'keeps a human in the loop',
    patterns: [/\bhuman[- ]in[- ]the[- ]loop\b|\bhuman (?:handoff|review|approval)\b|\breactive\b/i],
    factors: { autonomyOfAction: -0.05 },
    grounds: [],
    notes: { 5: 'a human can take over the conversation' },
    threats: {},
    cvss: { UI: 'A' },
    mitigates: true,
  },
  {
    id: 'read-only',
    label: 'is read-only',
    patterns: [/\bread-only\b|\bdoes not execute\b|\bno execution\b/i],
    absence: true,
    factors: { autonomyOfAction: -0.1, dynamicToolUse: -0.1 },
    grounds: [],
    notes: { 3: 'the listing says it does not execute or change anything' },
    threats: {},
    mitigates: true,
  },
  // ── Planning ──────────────────────────────────────────────────────────────────────────────
  {
    id: 'multi-step-planning',
    label: 'plans multi-step work towards goals',
    patterns: [/\bplans? (?:\w+ )?multi-step\b|\bmulti-step\b|\bautonomous plan\b|\bplanning loop\b|\b(?:decomposes|breaks) (?:\w+ ){0,2}(?:goals?|tasks?)\b|\bbacklogs?\b/i],
    factors: { goalDrivenPlanning: 0.45, autonomyOfAction: 0.15, nonDeterminism: 0.05 },
    grounds: [],
    notes: { 3: 'it decomposes goals into multi-step plans' },
    threats: { 3: ['plan hijacking'] },
  },
  {
    id: 'web-research',
    label: 'searches and reads the web',
    patterns: [/\bweb searche?s?\b|\breads (?:external|web) pages\b|\bresearch (?:agent|skill|reports?)\b|\bsearches the web\b/i],
    factors: { goalDrivenPlanning: 0.45, dynamicToolUse: 0.35, contextualAwareness: 0.2, autonomyOfAction: 0.35, nonDeterminism: 0.15 },
    grounds: [2, 3],
    notes: {
      2: 'it ingests untrusted web content into its working context',
      3: 'it runs search and fetch tools in a loop',
      1: 'web pages it reads can carry indirect prompt injection',
    },
    threats: { 1: ['indirect prompt injection via search results'], 2: ['poisoned web sources', 'indirect prompt injection from web content'], 3: ['SSRF via fetch tools'], 4: ['internal network scanning'] },
    cvss: { UI: 'N', AV: 'N', channel: true },
    poc: true,
  },
  {
    id: 'workflows',
    label: 'runs workflows or orchestrates work',
    patterns: [/\bworkflows?\b|\bturns? goals into\b|\borchestrat\w+|\broutes (?:and \w+ )?(?:\w+ )?(?:tasks|tickets)\b/i],
    factors: { goalDrivenPlanning: 0.3, autonomyOfAction: 0.2, dynamicToolUse: 0.1 },
    grounds: [],
    notes: { 3: 'it chains steps into workflows' },
    threats: { 3: ['workflow hijacking'] },
  },
  {
    id: 'diagnosis',
    label: 'diagnoses and fixes errors',
    patterns: [/\bdiagnos\w+|\bdebug\w*|\b(?:recover\w*|resolv\w+) (?:from )?(?:errors|bugs|failures)\b|\berror recovery\b/i],
    factors: { goalDrivenPlanning: 0.3, autonomyOfAction: 0.1, dynamicToolUse: 0.1, contextualAwareness: 0.15, selfModification: 0.15 },
    grounds: [],
    notes: { 3: 'it iterates on failures until they are fixed' },
    threats: { 3: ['injected diagnostic logic'] },
  },
  {
    id: 'code-review',
    label: 'reviews code',
    patterns: [/\breview(?:s|ing)? (?:the )?code\b|\b(?:pull[- ]request|PR|code) review\w*|\breviewer\b/i],
    factors: { goalDrivenPlanning: 0.15, contextualAwareness: 0.2, autonomyOfAction: 0.05 },
    grounds: [],
    notes: { 1: 'code under review is attacker-controllable input to the model' },
    threats: { 1: ['indirect injection via code under review'] },
  },
  // ── Tools ─────────────────────────────────────────────────────────────────────────────────
  {
    id: 'tool-integrations',
    label: 'integrates with external tools and services',
    patterns: [
      /\bintegrat(?:es|ed|ions?)\b|\bconnects? (?:via|to|with)\b|\bconnected to\b|\bwebhooks?\b/i,
      /\btools\b(?! such)|\btool access\b|\bAPI access\b/i,
    ],
    factors: { dynamicToolUse: 0.2, contextualAwareness: 0.05 },
    grounds: [],
    notes: { 3: 'it calls external tools and services' },
    threats: { 3: ['tool misuse', 'API abuse'], 4: ['integration key exposure', 'API key storage'] },
    poc: true,
  },
  {
    id: 'many-integrations',
    label: 'has a large catalogue of integrations',
    patterns: [/\b\d{2,}\+? (?:integrations|connectors)\b|\bmany integrations\b/i],
    factors: { dynamicToolUse: 0.35, dynamicIdentity: 0.1 },
    grounds: [],
    notes: { 7: 'it connects to a large catalogue of third-party services' },
    threats: { 7: ['malicious or compromised integrations'] },
  },
  {
    id: 'mcp-tools',
    label: 'exposes or routes tools over the Model Context Protocol',
    patterns: [/\bMCP\b|\bmodel context protocol\b|\btool calls\b/i],
    factors: { dynamicToolUse: 0.45, multiAgentInteractions: 0.1, autonomyOfAction: 0.1 },
    grounds: [3],
    notes: { 3: 'it exposes or brokers tool calls (MCP)', 7: 'it connects model clients to third-party tool servers' },
    threats: { 3: ['tool misuse', 'malicious downstream server'], 7: ['tool poisoning from third-party servers'] },
    cvss: { impact: { SC: 'L', SI: 'L' }, AV: 'N', channel: true },
    poc: true,
  },
  {
    id: 'skill-or-plugin',
    label: 'is a skill or plugin loaded into an agent framework',
    patterns: [/\bskills?\b|\bplugins?\b|\bframework\b|\bLangChain\b|\bPython (?:interface|SDK)\b|\bsubagents?\b/i],
    factors: { contextualAwareness: 0.1, goalDrivenPlanning: 0.05 },
    grounds: [3],
    notes: { 3: 'it runs inside an agent framework (skill, plugin or framework code)' },
    threats: { 3: ['insecure host-framework integration'] },
  },
  {
    id: 'no-tools',
    label: 'states it has no tools, planning or framework',
    patterns: [/\bno (?:execution capability or )?tool(?:s| access| calling)\b|\bno (?:native )?agent framework\b|\bno planning\b/i],
    absence: true,
    factors: { autonomyOfAction: -0.05, dynamicToolUse: -0.05, goalDrivenPlanning: -0.05 },
    grounds: [],
    notes: { 3: 'the listing says it has no tools or agent framework of its own' },
    threats: { 3: ['no framework of its own'] },
  },
  // ── Memory and data ───────────────────────────────────────────────────────────────────────
  {
    id: 'stores-user-data',
    label: 'keeps user data or history between sessions',
    patterns: [
      /\bstores? (?:chat logs|conversations?)\b|\bchat logs\b|\bconversation history\b|\bsession history\b|\bhistor(?:y|ies)\b/i,
      /\bkeeps? [\w ]{0,30}(?:profiles|history|records)\b|\b(?:student|candidate|customer) profiles\b|\bperformance data\b|\bstate\b/i,
    ],
    factors: { persistentMemory: 0.3, contextualAwareness: 0.1 },
    grounds: [],
    notes: { 2: 'it keeps records between sessions' },
    threats: { 2: ['stored data exfiltration', 'PII exposure from stored logs'] },
    cvss: { withChannel: { VC: 'H' } },
  },
  {
    id: 'agent-memory',
    label: 'keeps long-term memory across sessions',
    patterns: [/\blong-term memory\b|\bpersistent memory\b|\bmemory (?:that )?persists\b|\bpersists between runs\b|\bremembers\b|\bmemory of (?:past|previous|the)\b|\bacross sessions\b/i],
    factors: { persistentMemory: 0.4, contextualAwareness: 0.1 },
    grounds: [2],
    notes: { 2: 'it keeps a long-term memory that later sessions trust' },
    threats: { 2: ['memory poisoning', 'cross-session data leakage'] },
    cvss: { impact: { VI: 'H' }, withChannel: { VC: 'H' } },
  },
  {
    id: 'learns-from-data',
    label: 'learns from user data (fine-tuning, self-learning)',
    patterns: [/\blearns? (?:\w+ ){0,3}from\b|\bself-learning\b|\bfine-tun\w+|\breinforcement learning\b|\bRL\b/i],
    factors: { selfModification: 0.4, persistentMemory: 0.4, contextualAwareness: 0.15, opacityAndReflexivity: 0.1 },
    grounds: [2],
    notes: { 2: 'it learns from customer data, so its behaviour drifts with what it is fed', 1: 'continual training on customer data can reprogram the model' },
    threats: { 2: ['fine-tuning data poisoning'], 1: ['model reprogramming', 'malicious fine-tuning'] },
  },
  {
    id: 'retrieval',
    label: 'retrieves from a knowledge base (RAG)',
    patterns: [/\bvector (?:databases?|stores?)\b|\bRAG\b|\bknowledge[- ]base\b|\bdatabase of\b|\bretriev\w+|\b(?:policy|company) documents\b/i],
    factors: { persistentMemory: 0.15, contextualAwareness: 0.15 },
    grounds: [2],
    notes: { 2: 'it answers from a retrieval store or knowledge base' },
    threats: { 2: ['knowledge-base poisoning', 'unauthorized retrieval'], 4: ['unauthorized vector database access'] },
  },
  {
    id: 'sensitive-data',
    label: 'handles personal, health or otherwise sensitive data',
    patterns: [
      /\bPII\b|\bpersonal (?:data|information)\b|\bprotected health information\b|\bPHI\b|\bhealth ?care\b|\bsensitive\b/i,
      /\bcustomer(?:'s|’s)? (?:data|lists)\b|\bstudents?\b|\bminors\b/i,
    ],
    factors: { contextualAwareness: 0.15, persistentMemory: 0.1 },
    grounds: [],
    notes: { 2: 'it handles sensitive personal or business data' },
    threats: { 2: ['PII exfiltration'] },
    cvss: { impact: { SC: 'L' }, withChannel: { VC: 'H' } },
  },
  {
    id: 'workspace-context',
    label: 'reads the user’s workspace, repository or systems',
    patterns: [
      /\brepository (?:context|access)\b|\bcodebase\b|\blocal workspace\b|\bsource code\b|\bcluster (?:logs|configs)\b|\b(?:PR|pull-request) diffs\b/i,
      /\bingests?\b|\breads? [\w ]{0,20}(?:files|logs|configs|events|metrics)\b|\bprocesses (?:\w+ )?(?:logs|output)\b/i,
    ],
    factors: { contextualAwareness: 0.25, dynamicToolUse: 0.05 },
    grounds: [],
    notes: { 2: 'it pulls the user’s files, logs or data into its context' },
    threats: { 2: ['source or log exfiltration', 'poisoned inputs'] },
    cvss: { withChannel: { VC: 'H' } },
  },
  {
    id: 'database-access',
    label: 'queries relational databases',
    patterns: [/\bSQL\b|\bPostgre\w*|\bMySQL\b|\bSQLite\b|\brelational databases?\b/i],
    factors: {},
    grounds: [],
    notes: { 2: 'it reads and writes relational databases' },
    threats: { 2: ['SQL injection through generated queries', 'bulk data exfiltration'] },
    cvss: { withChannel: { VC: 'H' } },
  },
  {
    id: 'real-time-data',
    label: 'works on live, real-time data',
    patterns: [/\breal[- ]time\b|\blive (?:blockchain|data|market)\b/i],
    factors: { contextualAwareness: 0.2 },
    grounds: [],
    notes: { 2: 'it consumes live data feeds' },
    threats: { 2: ['data feed poisoning'] },
  },
  // ── Identity and credentials ──────────────────────────────────────────────────────────────
  {
    id: 'holds-credentials',
    label: 'holds credentials or API keys',
    patterns: [/\bcredentials?\b|\bAPI keys?\b|\bsecrets\b|\bkubeconfig\b|\bOAuth\b|\btokens?\b|\bpasswords\b/i],
    factors: { dynamicIdentity: 0.25, dynamicToolUse: 0.05 },
    grounds: [4],
    notes: { 4: 'it stores or uses credentials for other systems, which concentrates access in one place' },
    threats: { 4: ['credential theft', 'token theft', 'credential concentration'], 6: ['missing authentication/authorization', 'credential misuse'] },
    cvss: { impact: { SC: 'H', SI: 'L' } },
  },
  {
    id: 'delegates-credentials',
    label: 'hands its credentials or tokens to other agents or services',
    patterns: [/\b(?:passes|passing|delegates?|delegating|shares?|forwards?) (?:\w+ ){0,2}(?:OAuth |access |API )?(?:tokens|credentials|keys)\b/i],
    factors: { dynamicIdentity: 0.3 },
    grounds: [6],
    notes: { 6: 'it passes delegated tokens to parties outside its control', 4: 'tokens leave the host it runs on' },
    threats: { 6: ['token delegation abuse', 'agent impersonation'], 4: ['credential theft'] },
    cvss: { impact: { VC: 'H', SC: 'H', SI: 'H' }, channel: true },
    poc: true,
  },
  {
    id: 'inherited-permissions',
    label: 'acts with inherited permissions or roles',
    patterns: [/\binherits?\b[\w ]{0,40}\b(?:permissions|credentials)\b|\bRBAC\b|\bprivileges\b|\bon behalf of\b|\bcluster-admin\b|\bservice account\b/i],
    factors: { dynamicIdentity: 0.35 },
    grounds: [],
    notes: { 6: 'it acts with permissions inherited from the user or host' },
    threats: { 4: ['privilege inheritance', 'privilege escalation'], 6: ['over-broad permissions'] },
  },
  {
    id: 'decentralized-identity',
    label: 'manages agent identities',
    patterns: [/\bdecentralized identit\w+|\bDIDs?\b|\bagent identit\w+/i],
    factors: { dynamicIdentity: 0.7 },
    grounds: [],
    notes: { 6: 'agents present and verify their own identities' },
    threats: { 6: ['identity spoofing'], 7: ['A2A trust abuse'] },
  },
  // ── Multi-agent ───────────────────────────────────────────────────────────────────────────
  {
    id: 'multi-agent',
    label: 'coordinates several agents',
    patterns: [
      /\bmulti-agent\b|\bswarm\b|\bagent-to-agent\b|\bsubagents?\b|\b(?:across|between) (?:\w+ ){0,3}agents\b/i,
      /\bspawns?\b[\w ]{0,20}\bagents?\b|\bagents (?:publish|delegate|exchange)\b|\bA2A\b|\bagent2agent\b|\bthird-party agents\b|\bagent registr(?:y|ies)\b|\bworker agents\b/i,
    ],
    factors: { multiAgentInteractions: 0.6, autonomyOfAction: 0.1, goalDrivenPlanning: 0.1, dynamicIdentity: 0.05 },
    grounds: [3],
    notes: { 3: 'it delegates work between several agents', 7: 'it trusts output from other agents' },
    threats: { 3: ['insecure subagent dispatch', 'subagent output aggregation flaws', 'A2A trust abuse'], 7: ['A2A trust abuse', 'malicious agent impersonation', 'cascading failures across agents'] },
    cvss: { impact: { SC: 'H', SI: 'H' }, UI: 'N' },
  },
  {
    id: 'agent-protocol',
    label: 'is an agent-to-agent protocol',
    patterns: [/\bprotocol for agent\w*|\bagent (?:communication|discovery)\b|\bcapability descriptions\b|\bprotocol negotiation\b/i],
    factors: { multiAgentInteractions: 0.6, dynamicToolUse: 0.25, dynamicIdentity: 0.15 },
    grounds: [3],
    notes: { 3: 'agents negotiate protocols and capabilities with each other', 7: 'it is a shared protocol for an open agent ecosystem' },
    threats: { 2: ['capability metadata tampering'], 3: ['negotiation exploits', 'A2A trust abuse'], 7: ['capability metadata tampering', 'agent impersonation'] },
    cvss: { impact: { SC: 'H', SI: 'H' }, UI: 'N', AT: 'P' },
  },
  {
    id: 'downstream-routing',
    label: 'routes work to downstream servers or agents',
    patterns: [/\bdownstream (?:MCP )?servers\b|\bmany MCP servers\b|\brout(?:es|ing) tool calls\b|\bto (?:other )?agents\b/i],
    factors: { multiAgentInteractions: 0.4, dynamicIdentity: 0.15, dynamicToolUse: 0.1 },
    grounds: [],
    notes: { 3: 'it forwards requests to downstream services it does not control' },
    threats: { 3: ['routing to malicious endpoints'], 4: ['downstream key exposure'] },
    cvss: { impact: { SC: 'L' }, channel: true },
  },
  {
    id: 'model-routing',
    label: 'routes prompts to downstream model providers',
    patterns: [/\broutes (?:prompts|requests) to\b|\bdownstream model APIs\b|\b(?:several|multiple|many) (?:\w+ )?providers\b/i],
    factors: { dynamicToolUse: 0.1, dynamicIdentity: 0.1, multiAgentInteractions: 0.05 },
    grounds: [],
    notes: { 3: 'it forwards prompts to model providers it does not control' },
    threats: { 3: ['API key exposure in routing'], 4: ['downstream key exposure'] },
  },
  {
    id: 'orchestration',
    label: 'orchestrates models or agents',
    patterns: [/\bAI orchestration\b|\borchestrator\b|\borchestrates\b/i],
    factors: { multiAgentInteractions: 0.3, goalDrivenPlanning: 0.1 },
    grounds: [],
    notes: { 3: 'it orchestrates several models or agents', 7: 'it depends on the agents and models it orchestrates' },
    threats: { 3: ['routing to malicious agents'] },
  },
  {
    id: 'mailbox-calendar',
    label: 'works in the user’s mailbox or calendar',
    patterns: [/\bemail and calendar\b|\bmailbox\b|\binbox\b|\breads and sends email\b/i],
    factors: { persistentMemory: 0.25, contextualAwareness: 0.25, dynamicIdentity: 0.25, autonomyOfAction: 0.1 },
    grounds: [],
    notes: { 2: 'it reads the user’s mail or calendar', 1: 'incoming mail is untrusted input to the model' },
    threats: { 1: ['indirect prompt injection via email'], 2: ['mailbox PII exfiltration'], 4: ['OAuth token exposure'] },
    cvss: { impact: { VC: 'H' }, UI: 'N', AV: 'N', channel: true },
  },
  {
    id: 'voice-agent',
    label: 'is a voice agent that talks to people',
    patterns: [/\bvoice(?:-driven)? (?:AI )?(?:agent|assistant)\b|\bvoice AI\b/i],
    factors: { autonomyOfAction: 0.3, goalDrivenPlanning: 0.2, contextualAwareness: 0.15, dynamicToolUse: 0.1, nonDeterminism: 0.1 },
    grounds: [],
    notes: { 1: 'spoken input reaches the model directly (voice prompt injection)' },
    threats: { 1: ['voice prompt injection', 'adversarial audio'], 4: ['telephony fraud and attacks'] },
  },
  {
    id: 'conversational-assistant',
    label: 'converses with users as an assistant',
    patterns: [/\bchatbot\b|\bchat interface\b|\btutor\b|\bassistant\b/i],
    factors: { autonomyOfAction: 0.1, contextualAwareness: 0.1, nonDeterminism: 0.05 },
    grounds: [],
    notes: { 1: 'users talk to it directly, so direct prompt injection and jailbreaks apply' },
    threats: { 1: ['prompt injection', 'jailbreak'] },
  },
  {
    id: 'infrastructure-operations',
    label: 'operates infrastructure',
    patterns: [/\bclusters?\b|\binfrastructure\b|\bDevOps\b|\bmanifests\b|\bnetwork policies\b/i],
    factors: { dynamicToolUse: 0.25, contextualAwareness: 0.2, dynamicIdentity: 0.15, autonomyOfAction: 0.15 },
    grounds: [],
    notes: { 4: 'it operates on infrastructure configuration' },
    threats: { 1: ['prompt injection triggering destructive infrastructure changes'], 2: ['secrets and configuration leakage'], 4: ['cluster-admin inheritance', 'container escape', 'lateral movement'] },
    cvss: { impact: { SC: 'H', SI: 'H', SA: 'H' } },
  },
  // ── Deployment ────────────────────────────────────────────────────────────────────────────
  {
    id: 'runtime-hosts',
    label: 'runs on named infrastructure (containers, VMs, static hosting)',
    patterns: [/\bdocker\b|\bcontainers?\b|\bVMs?\b|\bphysical machines\b|\bself-hosted\b|\bstatic (?:web )?hosting\b|\bCDN\b/i],
    factors: { contextualAwareness: 0.05 },
    grounds: [4],
    notes: { 4: 'the listing names where it runs' },
    threats: { 4: ['container escape', 'supply-chain compromise of the hosting'] },
  },
  {
    id: 'hosted-service',
    label: 'is a hosted service',
    patterns: [/\bSaaS\b|\bcloud-hosted\b|\bhosted\b|\bAPI service\b|\bweb-based\b|\bbrowser-based\b/i],
    factors: {},
    grounds: [],
    notes: { 4: 'it is offered as a hosted service' },
    threats: { 4: ['multi-tenant data exposure', 'exposed endpoints'] },
    cvss: { AV: 'N', AT: 'N' },
  },
  {
    id: 'local-deployment',
    label: 'runs locally with the user’s privileges',
    patterns: [/\bruns locally\b|\blocal \/ on-premise\b|\bIDEs?\b|\bCLI\b/i],
    factors: { contextualAwareness: 0.1 },
    grounds: [],
    notes: { 4: 'it runs on the user’s machine and inherits their privileges' },
    threats: { 4: ['inherits user privileges'] },
    cvss: { AV: 'L' },
  },
  {
    id: 'unauthenticated-access',
    label: 'is open without accounts or limits',
    patterns: [/\bno (?:account|authentication)\b|\bno usage limits?\b/i],
    absence: true,
    factors: { nonDeterminism: 0.05 },
    grounds: [],
    notes: { 4: 'anyone can use it without an account, so abuse is unthrottled' },
    threats: { 4: ['resource exhaustion', 'API abuse'] },
  },
  // ── Evaluation, observability, security ───────────────────────────────────────────────────
  {
    id: 'guardrails',
    label: 'has guardrails or review checks on inputs and outputs',
    patterns: [/\bguardrails?\b|\bdetect(?:s|ing)? (?:prompt )?injection\b|\bjailbreaks?\b|\bcontent filter\w*|\bmoderation\b/i],
    factors: {},
    grounds: [5],
    notes: { 5: 'the listing describes guardrails or review checks' },
    threats: { 5: ['guardrail bypass', 'detection blind spots'] },
    mitigates: true,
  },
  {
    id: 'monitoring',
    label: 'has monitoring, metrics or audit logs',
    patterns: [/\banalytics dashboard\b|\btracking metrics\b|\bmonitor(?:ing|s)?\b|\baudit log\w*|\btrace viewer\b|\blogs? each\b/i],
    factors: {},
    grounds: [5],
    notes: { 5: 'the listing describes some monitoring or logging (it detects misuse after the fact; it does not prevent it)' },
    threats: { 5: ['detection blind spots', 'malicious actions unnoticed until after the fact'] },
  },
  {
    id: 'compliance-claims',
    label: 'claims security or compliance certifications',
    patterns: [/\bSOC ?2\b|\bHIPAA\b|\bISO 27001\b|\bGDPR\b|\bEU AI Act\b/i],
    factors: {},
    grounds: [6],
    notes: { 6: 'the listing claims compliance certifications' },
    threats: { 6: ['compliance claims not independently verified'] },
  },
];

/** Where each factor starts before any signal (what an undescribed listed AI product gets). */
export const FACTOR_BASE: Readonly<Record<ListingFactorKey, number>> = {
  autonomyOfAction: 0.1,
  goalDrivenPlanning: 0.05,
  selfModification: 0,
  dynamicToolUse: 0.05,
  persistentMemory: 0.05,
  contextualAwareness: 0.15,
  dynamicIdentity: 0,
  multiAgentInteractions: 0,
  nonDeterminism: 0.45,
  opacityAndReflexivity: 0.35,
};

/** Factors whose positive deltas make a signal count as an agentic capability for the breadth uplift. */
export const CAPABILITY_FACTORS: readonly ListingFactorKey[] = [
  'autonomyOfAction',
  'goalDrivenPlanning',
  'dynamicToolUse',
  'multiAgentInteractions',
];

/**
 * Breadth uplift: every capability signal beyond `after` (up to `cap`) adds `perSignal[factor]`.
 * Listings that describe many distinct capabilities are broadly capable agents, which the
 * reference directory scores higher on every factor than any single capability explains.
 */
export interface Breadth {
  after: number;
  cap: number;
  perSignal: Readonly<Record<ListingFactorKey, number>>;
}

export const BREADTH: Readonly<Breadth> = {
  after: 1,
  cap: 6,
  perSignal: {
    autonomyOfAction: 0.04,
    goalDrivenPlanning: 0.04,
    selfModification: 0.02,
    dynamicToolUse: 0.04,
    persistentMemory: 0.04,
    contextualAwareness: 0.04,
    dynamicIdentity: 0.03,
    multiAgentInteractions: 0.03,
    nonDeterminism: 0.02,
    opacityAndReflexivity: 0.02,
  },
};
