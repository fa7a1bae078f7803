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
  configInvalid: { en: "⚠️ invalid configuration", ko: "⚠️ 설정이 올바르지 않습니다" },
} satisfies Record<string, { en: string; ko: string }>;

export type MessageId = keyof typeof messages;
export type Language = "en" | "ko";
