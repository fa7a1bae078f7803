/**
 * Human log messages in each supported language. Machines read the fields;
 * people read these, so they stay short. The seed team's Korean voice is kept.
 */
export const messages = {
  serverListening: { en: "🚀 server listening", ko: "🚀 서버가 요청을 기다립니다" },
  serverReady: { en: "✅ ready for work", ko: "✅ 작업을 받을 준비가 되었습니다" },
  serverStopping: { en: "🛑 shutting down", ko: "🛑 서버를 종료합니다" },
  serverStopped: { en: "👋 server stopped", ko: "👋 서버가 종료되었습니다" },
  pipelineStarted: { en: "▶️ pipeline started", ko: "▶️ 파이프라인 시작" },
  pipelineFinished: { en: "🏁 pipeline finished", ko: "🏁 파이프라인 종료" },
  pipelineCancelled: { en: "⛔ pipeline cancelled", ko: "⛔ 파이프라인 취소" },
  pipelineTimedOut: { en: "⏱️ pipeline timed out", ko: "⏱️ 파이프라인 시간 초과" },
  stageStarted: { en: "🔨 stage attempt started", ko: "🔨 스테이지 실행 시작" },
  stageRetrying: { en: "🔁 stage will retry", ko: "🔁 스테이지 재시도 예정" },
  stageFinished: { en: "✅ stage finished", ko: "✅ 스테이지 종료" },
  workerStarted: { en: "👷 worker started", ko: "👷 워커 시작" },
  workerFinished: { en: "📦 worker finished", ko: "📦 워커 종료" },
  workersScaledUp: { en: "📈 workers scaled up", ko: "📈 워커 확장" },
  workersScaledDown: { en: "📉 workers scaled down", ko: "📉 워커 축소" },
  requestFailed: { en: "❗ request failed", ko: "❗ 요청 실패" },
  internalError: { en: "💥 unexpected error", ko: "💥 예상치 못한 오류" },
  workspaceRemoveFailed: {
    en: "🧹 could not remove workspace",
    ko: "🧹 작업 공간을 지우지 못했습니다",
  },
  informerRestarting: {
    en: "🔌 watch lost, re-listing",
    ko: "🔌 감시 연결이 끊겨 다시 목록을 가져옵니다",
  },
  orphanJobDeleted: {
    en: "🧹 deleted a job left by an earlier controller",
    ko: "🧹 이전 컨트롤러가 남긴 잡을 삭제했습니다",
  },
  workersLeftRunning: {
    en: "🚧 left worker jobs running; the next controller deletes them at start-up",
    ko: "🚧 워커 잡을 실행 중인 채로 둡니다; 다음 컨트롤러가 시작할 때 삭제합니다",
  },
  jobCreated: { en: "🚢 job created", ko: "🚢 잡 생성" },
  jobDeleteFailed: { en: "⚠️ could not delete job", ko: "⚠️ 잡을 삭제하지 못했습니다" },
  podStuck: { en: "⏳ worker pod is stuck", ko: "⏳ 워커 파드가 멈춰 있습니다" },
  logCaptureFailed: { en: "📜 could not read worker log", ko: "📜 워커 로그를 읽지 못했습니다" },
  leaseAcquired: {
    en: "👑 took the controller lease: acting now",
    ko: "👑 컨트롤러 리스를 얻었습니다: 이제 동작합니다",
  },
  leaseWaiting: {
    en: "⏸️ another controller holds the lease: standing by",
    ko: "⏸️ 다른 컨트롤러가 리스를 갖고 있습니다: 대기합니다",
  },
  leaseReleased: { en: "👋 released the controller lease", ko: "👋 컨트롤러 리스를 놓았습니다" },
  leaseReleaseFailed: {
    en: "👋 could not release the lease (the next controller waits it out)",
    ko: "👋 리스를 놓지 못했습니다 (다음 컨트롤러가 만료를 기다립니다)",
  },
  leaseTryFailed: { en: "👑 lease request failed", ko: "👑 리스 요청이 실패했습니다" },
  leaseLost: {
    en: "🛑 lost the controller lease: stopping at once",
    ko: "🛑 컨트롤러 리스를 잃었습니다: 즉시 멈춥니다",
  },
  storeLoaded: { en: "🗄️ build store loaded", ko: "🗄️ 빌드 저장소를 불러왔습니다" },
  storeUnavailable: {
    en: "🗄️ cannot open the build store (OTTOSCALER_DATA_DIR)",
    ko: "🗄️ 빌드 저장소(OTTOSCALER_DATA_DIR)를 열 수 없습니다",
  },
  journalDamaged: {
    en: "🩹 damaged end of a build journal cut off; everything before it is kept",
    ko: "🩹 빌드 저널 끝의 손상된 부분을 잘라냈습니다; 그 앞은 모두 보존됩니다",
  },
  journalWriteFailed: {
    en: "💾 could not write to a build journal",
    ko: "💾 빌드 저널에 쓰지 못했습니다",
  },
  pipelineResumed: {
    en: "🔁 pipeline continued from where the previous controller stopped",
    ko: "🔁 이전 컨트롤러가 멈춘 곳에서 파이프라인을 이어 갑니다",
  },
  runStatusStale: {
    en: "⏭️ a newer PipelineRun status is stored than this controller's: not written",
    ko: "⏭️ 저장된 PipelineRun 상태가 이 컨트롤러의 것보다 새로워 쓰지 않았습니다",
  },
  runStatusFailed: {
    en: "⚠️ could not write a PipelineRun's status",
    ko: "⚠️ PipelineRun 상태를 쓰지 못했습니다",
  },
  runNotContinued: {
    en: "⚠️ an unfinished PipelineRun cannot be continued",
    ko: "⚠️ 끝나지 않은 PipelineRun을 이어 갈 수 없습니다",
  },
  runReconcileFailed: {
    en: "⚠️ could not reconcile a PipelineRun; retrying",
    ko: "⚠️ PipelineRun을 조정하지 못했습니다. 다시 시도합니다",
  },
  eventRecordFailed: {
    en: "could not record a Kubernetes Event",
    ko: "Kubernetes 이벤트를 기록하지 못했습니다",
  },
  workerReconcileFailed: {
    en: "⚠️ a Kubernetes API call for a worker failed; retrying",
    ko: "⚠️ 워커를 위한 Kubernetes API 호출이 실패했습니다. 다시 시도합니다",
  },
  jobAdopted: {
    en: "🤝 worker Job adopted from an earlier controller",
    ko: "🤝 이전 컨트롤러의 워커 Job을 이어받았습니다",
  },
  pipelineInterrupted: {
    en: "⛔ pipeline interrupted by a controller restart, marked cancelled",
    ko: "⛔ 컨트롤러 재시작으로 중단된 파이프라인을 취소로 기록했습니다",
  },
  buildExpired: {
    en: "🗑️ build removed by retention",
    ko: "🗑️ 보존 기간이 지나 빌드를 삭제했습니다",
  },
  undeliveredBuildRemoved: {
    en: "🗑️ over the size limit: removed a build Otto-handler has not received in full",
    ko: "🗑️ 용량 한도를 넘어 Otto-handler에 다 전달되지 않은 빌드를 삭제했습니다",
  },
  forwardingStarted: {
    en: "📡 forwarding logs and events to Otto-handler",
    ko: "📡 Otto-handler로 로그와 이벤트를 전달합니다",
  },
  forwardingFailed: {
    en: "📡 Otto-handler unreachable, retrying with backoff",
    ko: "📡 Otto-handler에 연결할 수 없어 재시도합니다",
  },
  forwardingResumed: {
    en: "📡 Otto-handler reachable again, delivery resumed",
    ko: "📡 Otto-handler 연결이 복구되어 전달을 재개합니다",
  },
  forwardingRejected: {
    en: "🚫 Otto-handler rejected a batch as invalid; skipped",
    ko: "🚫 Otto-handler가 배치를 잘못된 것으로 거부하여 건너뜁니다",
  },
  forwardingLag: { en: "📡 log forwarding is behind", ko: "📡 로그 전달이 밀려 있습니다" },
  listeningUnauthenticated: {
    en: "⚠️ listening beyond this machine with authentication off: anyone who reaches the port can run any command",
    ko: "⚠️ 인증 없이 외부 주소에서 요청을 받습니다: 포트에 닿는 누구나 어떤 명령이든 실행할 수 있습니다",
  },
  accessDenied: { en: "🔒 call refused", ko: "🔒 호출을 거부했습니다" },
  tokensLoaded: { en: "🔑 tokens loaded", ko: "🔑 토큰을 불러왔습니다" },
  tokensReloadFailed: {
    en: "🔑 could not reload the tokens file; the tokens in use stay",
    ko: "🔑 토큰 파일을 다시 읽지 못했습니다; 기존 토큰을 계속 씁니다",
  },
  tlsLoaded: { en: "🔐 TLS certificate in use", ko: "🔐 TLS 인증서를 사용합니다" },
  tlsReloadFailed: {
    en: "🔐 could not load the new TLS certificate; the one in use stays",
    ko: "🔐 새 TLS 인증서를 불러오지 못했습니다; 기존 인증서를 계속 씁니다",
  },
  audit: { en: "📝 audit", ko: "📝 감사 기록" },
  auditWriteFailed: {
    en: "📝 could not write the audit file",
    ko: "📝 감사 파일에 쓰지 못했습니다",
  },
  configInvalid: { en: "⚠️ invalid configuration", ko: "⚠️ 설정이 올바르지 않습니다" },
} satisfies Record<string, { en: string; ko: string }>;

export type MessageId = keyof typeof messages;
export type Language = "en" | "ko";
