/**
 * `aarm/runtime`: the runtime harness around the policy evaluator:
 * `createRuntime` (sessions, action mediation, the decision pipeline,
 * enforcement handles, the scorer seam) and, beneath it, the storage
 * interface with its in-memory and SQLite stores, the hash-chained context
 * log, receipt issuing and offline verification, and the signing primitives
 * beneath them: Ed25519 signers on two interchangeable backends, keyrings
 * with rotation, the key directory, signed documents, and RFC 8785 canonical
 * JSON.
 *
 * @module
 */

export {
  type CanonicalizationError,
  type CanonicalizationErrorCode,
  type CanonicalOptions,
  type CanonicalResult,
  canonicalHash,
  canonicalize,
  DEFAULT_MAX_CHARS,
  DEFAULT_MAX_DEPTH,
  type Sha256Digest,
  sha256Hex,
} from "../schema/canonical.ts";

export {
  type ContextBreakReason,
  type ContextExpectation,
  type ContextVerification,
  sealEntry,
} from "./context/chain.ts";
export {
  type ActionEntryBody,
  type ApprovalEntryBody,
  type ContextEntry,
  type ContextEntryBody,
  type ContextEntryHeader,
  contextEntrySchema,
  type DecisionEntryBody,
  type DeferralResolutionEntryBody,
  GENESIS_HASH,
  type IntentEntryBody,
  type OutcomeEntryBody,
  validateContextEntry,
} from "./context/entry.ts";
export { toHistory } from "./context/history.ts";
export {
  type ContextError,
  ContextLog,
  type ContextLogOptions,
  type ContextResult,
  type LoadedContext,
  type SealedEntry,
} from "./context/log.ts";
export { decodeBase64url, encodeBase64url } from "./crypto/base64url.ts";
export {
  type DocumentSignature,
  type DocumentVerification,
  type SignError,
  type SignedDocument,
  type SignResult,
  signDocument,
  verifyDocument,
} from "./crypto/document.ts";
export {
  exportPublicKeys,
  importPublicKeys,
  type KeyFileJson,
  type ManifestJson,
  type PublicKeyJson,
  type PublicKeySetJson,
} from "./crypto/key-json.ts";
export {
  createKeyDirectory,
  type KeyDirectoryError,
  type KeyDirectoryResult,
  loadKeyDirectory,
  MANIFEST_FILE,
  saveKeyring,
} from "./crypto/keydir.ts";
export {
  type KeyRecord,
  type KeyResolver,
  type KeyResult,
  Keyring,
  type KeyVerification,
  VerificationKeyring,
} from "./crypto/keyring.ts";
export { nobleBackend, nobleSigner, nobleVerifier, nobleVerify } from "./crypto/noble.ts";
export { nodeBackend, nodeSigner, nodeVerifier, nodeVerify } from "./crypto/node.ts";
export {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  type Ed25519Backend,
  isKeyId,
  keyIdFor,
  randomSeed,
  type Signer,
  type Verifier,
} from "./crypto/signer.ts";
export {
  type AssembleResult,
  assembleReceipt,
  type ReceiptDraft,
  type ReceiptParts,
} from "./receipts/assemble.ts";
export { exportReceipts } from "./receipts/export.ts";
export {
  type IssuedReceipt,
  type PreparedReceipt,
  type ReceiptError,
  ReceiptIssuer,
  type ReceiptIssuerOptions,
  type ReceiptResult,
} from "./receipts/issuer.ts";
export { DEFAULT_MAX_LINE_BYTES } from "./receipts/lines.ts";
export { type RedactionError, type RedactionResult, redactParameters } from "./receipts/redact.ts";
export { DEFAULT_MAX_DOCUMENT_CHARS, type StoreLimits } from "./store/checks.ts";
export { KeyedMutex } from "./store/keyed-mutex.ts";
export { MemoryStore } from "./store/memory.ts";
export { scanSessions } from "./store/scan.ts";
export { type SqliteDurability, SqliteStore, type SqliteStoreOptions } from "./store/sqlite.ts";
export { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from "./store/sqlite-schema.ts";
export {
  type AppendOptions,
  type ApprovalChange,
  type ApprovalRecord,
  type ChainHead,
  type ChainHeads,
  type ChainSnapshot,
  type ContextRecord,
  type DeferralChange,
  type DeferralRecord,
  type ListFilter,
  MAX_PAGE_SIZE,
  type Page,
  type ReceiptHead,
  type ReceiptRecord,
  type SessionRecord,
  type SessionState,
  type Store,
  type StoreError,
  type StoreErrorKind,
  type StoreResult,
} from "./store/types.ts";
export {
  type LinesOptions,
  type ReceiptIssue,
  type ReceiptIssueReason,
  type SessionChain,
  type VerificationReport,
  type VerifyOptions,
  verifyContext,
  verifyReceiptFile,
  verifyReceiptLines,
  verifyReceipts,
  verifySqliteFile,
  verifyStoreReceipts,
} from "./verify.ts";

export {
  DEFAULT_MAX_DELEGATION_LENGTH,
  type IdentitySetupResult,
  MAX_DELEGATION_LENGTH,
} from "./identity/fields.ts";
export {
  checkKeySet,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type KeySetFileOptions,
  loadKeySetFile,
  MAX_KEYS,
} from "./identity/jwks.ts";
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  DEFAULT_MAX_TOKEN_LENGTH,
  type JwtIssuerOptions,
  type JwtVerifierOptions,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_AGE_SECONDS,
  MAX_TOKEN_LENGTH,
} from "./identity/jwt-options.ts";
export { jwtVerifier } from "./identity/jwt.ts";
export { TRUSTED_LOCAL, type TrustedLocalOptions, trustedLocalVerifier } from "./identity/local.ts";
export { revalidate } from "./identity/revalidate.ts";
export {
  MemoryRevocationList,
  parseRevocationFile,
  REVOCATION_FILE_FORMAT,
  type RevocationEntry,
  type RevocationEntryJson,
  type RevocationFileJson,
  type RevocationKind,
  type RevocationList,
  type RevocationQuery,
  type RevocationStatus,
} from "./identity/revocation.ts";
export { revocationFile, type RevocationFileOptions } from "./identity/revocation-file.ts";
export type {
  DelegationLink,
  IdentityClaims,
  IdentityFailure,
  IdentityResult,
  IdentityVerifier,
  VerifiedIdentity,
} from "./identity/types.ts";
export { actionTarget } from "../eval/target.ts";
export { type Bounded, bounded } from "./engine/bounded.ts";
export {
  deferralTrigger,
  type FrozenScores,
  recordedDecision,
  refusal,
  runtimeRule,
} from "./engine/decision.ts";
export {
  DEFAULT_RELOAD_INTERVAL_MS,
  type LoadedPolicy,
  type PolicyLoad,
  PolicyLoadError,
  type PolicySource,
  policyRef,
} from "./engine/policy.ts";
export type { EndResult, IntentInput, Session } from "./engine/session.ts";
export {
  type ContextView,
  contextView,
  DRIFT_THRESHOLD,
  evalInput,
  type FrozenInput,
  frozenHash,
  type Replay,
  replayDecision,
  SUMMARY_ACTIONS,
} from "./engine/snapshot.ts";
export type {
  AllowHandle,
  ApprovalService,
  DeferralService,
  DeferralSettlement,
  Reevaluate,
  Reevaluation,
  DenyHandle,
  DriftEvent,
  EnforcementHandle,
  FactProvider,
  FactRequest,
  FaultStage,
  HostAnswer,
  HostApprovalResult,
  HostDelegation,
  OutcomeResult,
  PendingHandle,
  RuntimeEvent,
  RuntimeFault,
  RuntimeTimeouts,
  ToolOutcome,
} from "./engine/types.ts";
export {
  type ArgumentLimits,
  argumentProblems,
  DEFAULT_ARGUMENT_LIMITS,
  readArguments,
  valueProblem,
} from "./mediation/conform.ts";
export { boundIdentity, claimedIdentity, evalIdentity } from "./mediation/identity.ts";
export {
  INVALID_TOOL,
  type Mediation,
  type MediationContext,
  mediate,
  type ToolCall,
} from "./mediation/mediate.ts";
export {
  MAX_WRAPPER_DEPTH,
  type MetaToolResolver,
  mcpToolResolver,
  type Resolution,
  resolveMetaTool,
  skillResolver,
  type ToolArguments,
} from "./mediation/meta-tools.ts";
export {
  type ApprovalDeskOptions,
  ApprovalDesk,
  type AnswerOptions,
  DEFAULT_APPROVAL_POLL_MS,
} from "./approvals/desk.ts";
export { type ApproverDirectory, escalated, mayApprove, members } from "./approvals/directory.ts";
export { type Approvers, readApprovers } from "./approvals/config.ts";
export {
  type ApprovalNotification,
  type ApprovalNotificationType,
  type ApprovalNotifier,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  requestLabel,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  type WebhookOptions,
  webhookNotifier,
} from "./approvals/notify.ts";
export {
  type AnswerDeps,
  type AnswerErrorKind,
  type AnswerResult,
  answer,
  type ApproverAnswer,
  type ApproverCredential,
  settlement,
} from "./approvals/respond.ts";
export {
  DEFAULT_MAX_RESOLVER_ATTEMPTS,
  type DeferralAttempt,
  type DeferralCallResult,
  DeferralDesk,
  type DeferralDeskOptions,
  type DeferralFacts,
  type DeferralResolver,
  factResolver,
  type ResolverAnswer,
  type ResolverInput,
} from "./deferrals/desk.ts";
export {
  createRuntime,
  DEFAULT_MAX_DEFERRAL_DEPTH,
  DEFAULT_TIMEOUTS,
  type MediationOptions,
  type Runtime,
  type RuntimeOptions,
  type SessionOptions,
  type SigningKeys,
} from "./runtime.ts";
export {
  actionText,
  cosine,
  DEFAULT_ALPHA,
  MAX_TEXT,
  tokenize,
  tokenOverlapScorer,
} from "./scoring/token-overlap.ts";
export type { ScoredAction, Scorer, Scores } from "./scoring/types.ts";
export type { DecisionSignals } from "./context/entry.ts";
export {
  checkProfile,
  DRIFT_PROFILES,
  type DriftObservation,
  type DriftProfile,
  type DriftProfileSelector,
  profileFor,
  profilesByAgent,
  SessionDrift,
} from "./scoring/drift.ts";
export {
  createTelemetry,
  type Telemetry,
  type TelemetryOptions,
  type TelemetryStats,
} from "./telemetry/exporter.ts";
export {
  type FileDestinationOptions,
  fileDestination,
  type TelemetryDestination,
} from "./telemetry/destination.ts";
export { otlpAttributes, type OtlpOptions, otlpDestination } from "./telemetry/otlp.ts";
export { OCSF_VERSION, type OcsfEvent, toOcsf } from "./telemetry/ocsf.ts";
export {
  decisionSeverity,
  type Envelope,
  type EventIdentity,
  EventMapper,
  type MappingOptions,
  SEVERITIES,
  type Severity,
} from "./telemetry/events.ts";
export { passes, type TelemetryEventType, type TelemetryFilter } from "./telemetry/filter.ts";
export {
  type BatchFilesConfig,
  DEGRADED_LINE_PREFIX,
  degradedLine,
  type OtlpConfig,
  readTelemetryConfig,
  startTelemetry,
  type StartTelemetryOptions,
  type TelemetryConfig,
  type TelemetryTuning,
} from "./config/telemetry.ts";
export { type DriftConfig, driftSelector, readDriftConfig } from "./config/drift.ts";
export { type ConfigObject, ConfigProblem } from "./config/fields.ts";
export {
  appendPartitioned,
  checkPartitionOptions,
  listPartitions,
  type PartitionOptions,
  partitionName,
  readPartition,
  rewritePartition,
} from "./telemetry/partition.ts";
export type {
  CredentialAudit,
  CredentialAuditEntry,
  CredentialFailure,
  CredentialGrant,
  CredentialResult,
  CredentialUse,
  CredentialVerifier,
  IssuedCredential,
} from "./credentials/types.ts";
export {
  type CredentialBroker,
  DEFAULT_CREDENTIAL_TTL_MS,
  fileCredentialAudit,
  memoryCredentialAudit,
  type SignedBrokerOptions,
  signedCredentialBroker,
  signedCredentialVerifier,
  type SignedVerifierOptions,
} from "./credentials/signed.ts";
export {
  type DecisionPoint,
  type DecisionRecord,
  evalDecisionOf,
  exportTrace,
  type JsonPath,
  type LineLimits,
  type OutcomeRecord,
  type PointCheck,
  type PointResult,
  readTrace,
  readTraceText,
  type TraceDecision,
  type TraceError,
  type TraceExport,
  type TraceHistory,
  type TraceOutcome,
  type TracePolicyRef,
  type TraceRecord,
  TraceWriter,
  type WriteResult,
} from "./trace/index.ts";
