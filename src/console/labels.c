/*
 * console/labels.c: every label and message of the console, in English
 * and Japanese, as one table indexed by enum console_label (internal.h).
 * A label missing in a language is a test failure (test_console), not an
 * English word on a Japanese page. Data (names, descriptions) is shown as
 * it was written, never translated.
 */
#include <string.h>

#include "console/internal.h"

static const struct {
	const char *text[CONSOLE_N_LANGS];
} labels[L_COUNT] = {
	[L_TITLE] = { { "trilex console", "trilex コンソール" } },
	[L_SIGN_IN] = { { "Sign in", "サインイン" } },
	[L_SIGN_OUT] = { { "Sign out", "サインアウト" } },
	[L_USER] = { { "User name", "ユーザー名" } },
	[L_PASSWORD] = { { "Password", "パスワード" } },
	[L_BAD_LOGIN] = { { "Wrong user name or password.",
			    "ユーザー名またはパスワードが違います。" } },
	[L_LOCKED] = { { "This account is locked; an administrator can unlock it.",
			 "このアカウントはロックされています。管理者が解除できます。" } },
	[L_PARTNER_NO_SIGNIN] = { { "Partner nodes' accounts cannot sign in.",
				    "パートナーノードのアカウントはサインインできません。" } },
	[L_WAIT] = { { "Too many failed attempts; wait and try again.",
		       "失敗が多すぎます。しばらく待ってから再試行してください。" } },
	[L_BUSY] = { { "The node is busy; try again in a moment.",
		       "ノードが混み合っています。少し後で再試行してください。" } },
	[L_CSRF] = { { "This form has expired or did not come from this console; reload the page and try again.",
		       "このフォームは期限切れか、このコンソールからのものではありません。ページを再読み込みしてください。" } },
	[L_NOT_FOUND] = { { "Not found.", "見つかりません。" } },
	[L_HOME] = { { "Home", "ホーム" } },
	[L_ALERTS] = { { "Alerts", "アラート" } },
	[L_SEARCH] = { { "Search", "検索" } },
	[L_LANGUAGE] = { { "Language", "言語" } },
	[L_SAVE] = { { "Save", "保存" } },
	[L_SKIP] = { { "Skip to content", "本文へ移動" } },
	[L_SIGNED_IN_AS] = { { "Signed in as", "ログイン中:" } },
	[L_WHAT_CAME_IN] = { { "What came in", "受信状況" } },
	[L_COLLECTION] = { { "Collection", "コレクション" } },
	[L_PARTNER] = { { "Partner", "パートナー" } },
	[L_SINCE_LAST] = { { "Since your last visit", "前回の訪問以降" } },
	[L_LAST_24H] = { { "Last 24 hours", "過去24時間" } },
	[L_NEWEST] = { { "Newest", "最新" } },
	[L_DELIVERY] = { { "Delivery health", "配信の状態" } },
	[L_LAST_CONTACT] = { { "Last contact", "最終接続" } },
	[L_BACKLOG] = { { "Backlog", "未送信" } },
	[L_LAST_ERROR] = { { "Last error", "最後のエラー" } },
	[L_RECEIVED] = { { "Received", "受信" } },
	[L_REJECTED] = { { "Rejected", "拒否" } },
	[L_DELIVERED] = { { "Delivered", "送信済み" } },
	[L_UNACKED] = { { "Alerts not yet acknowledged", "未確認のアラート" } },
	[L_NONE] = { { "None.", "ありません。" } },
	[L_THIS_NODE] = { { "this node", "このノード" } },
	[L_NAME] = { { "Name", "名前" } },
	[L_TYPE] = { { "Type", "種類" } },
	[L_ADDED] = { { "Added", "追加日時" } },
	[L_ORIGIN] = { { "Origin", "発信元" } },
	[L_SIGNER] = { { "Verified signer", "検証済みの署名者" } },
	[L_RECIPIENTS] = { { "Recipients", "受信者" } },
	[L_LATENCY] = { { "Latency", "遅延" } },
	[L_INDICATORS] = { { "Indicators", "インジケーター" } },
	[L_TECHNIQUES] = { { "ATT&CK techniques", "ATT&CK テクニック" } },
	[L_RESPONSIBLE] = { { "Responsible under the AOR", "AOR上の担当" } },
	[L_DUTY] = { { "Duty officer", "当直担当者" } },
	[L_ACK] = { { "Acknowledge", "確認する" } },
	[L_ACKED] = { { "Acknowledged", "確認済み" } },
	[L_ACKED_BY] = { { "acknowledged by", "確認者:" } },
	[L_LIVE] = { { "New alerts appear here as they arrive.",
		       "新しいアラートは届くとここに表示されます。" } },
	[L_QUERY] = { { "Value, ATT&CK id, name or words", "値、ATT&CK ID、名前、語句" } },
	[L_RESULTS] = { { "Results", "結果" } },
	[L_NO_RESULTS] = { { "Nothing found.", "見つかりませんでした。" } },
	[L_NEXT_PAGE] = { { "Next page", "次のページ" } },
	[L_OBJECT] = { { "Object", "オブジェクト" } },
	[L_VERSIONS] = { { "Versions", "版" } },
	[L_MARKINGS] = { { "Markings", "マーキング" } },
	[L_SIGNATURE] = { { "Signature", "署名" } },
	[L_SIGNED] = { { "signed", "署名あり" } },
	[L_UNSIGNED] = { { "not signed", "署名なし" } },
	[L_REL_OUT] = { { "Relationships from it", "このオブジェクトからの関係" } },
	[L_REL_IN] = { { "Relationships to it", "このオブジェクトへの関係" } },
	[L_SIGHTINGS] = { { "Sightings", "観測" } },
	[L_WARNED] = { { "On a warning list (a likely false positive)",
			 "警告リストに該当（誤検知の可能性）" } },
	[L_SAME_VALUE] = { { "Everything that names the same value",
			     "同じ値を含むもの" } },
	[L_DESCRIPTION] = { { "Description", "説明" } },
	[L_JSON] = { { "As stored", "保存された形式" } },
	[L_MENU] = { { "Main menu", "メインメニュー" } },
	[L_OF_TYPE] = { { "by type", "種類別" } },
	[L_ALL_TYPES] = { { "all types", "すべての種類" } },
	[L_NEEDS_SIGNIN] = { { "Sign in to use the console.",
			       "コンソールを使うにはサインインしてください。" } },
	[L_ENGLISH] = { { "English", "English" } },
	[L_JAPANESE] = { { "日本語", "日本語" } },
	[L_UTC] = { { "UTC", "UTC" } },
	[L_COUNT_CAPPED] = { { "or more", "以上" } },
	[L_FAILED] = { { "The request failed.", "要求は失敗しました。" } },
	[L_ALERT] = { { "Alert", "アラート" } },
	[L_PARTNERS] = { { "Partners", "パートナー一覧" } },
	[L_DIRECTORY] = { { "Directory", "名簿" } },
	[L_CERT_FP] = { { "Certificate", "証明書" } },
	[L_SIGNING_KEY] = { { "Signing key", "署名鍵" } },
	[L_TAXII_SETTINGS] = { { "TAXII settings for SIEMs and other clients",
				 "SIEM などの TAXII クライアント向け設定" } },
	[L_TAXII_AUTH] = { { "Authenticate with HTTP Basic (your user name and password) or a bearer token (trilex token create --user NAME); the collections are those you may read.",
			     "HTTP Basic(ユーザー名とパスワード)またはベアラートークン(trilex token create --user NAME)で認証します。コレクションは読み取りを許可されたものです。" } },
	[L_ACK_DONE] = { { "The alert is acknowledged; the acknowledgement is shared like the alert.",
			   "アラートを確認しました。確認はアラートと同様に共有されます。" } },
	[L_INCIDENTS] = { { "Incidents",
		"インシデント" } },
	[L_INCIDENT] = { { "Incident",
		"インシデント" } },
	[L_ASSESSMENT] = { { "Use-of-force assessment",
		"武力行使の評価" } },
	[L_DECISION] = { { "Decision",
		"判定" } },
	[L_DECISION_RANGE] = { { "Decisions still possible",
		"まだ可能な判定" } },
	[L_LEVEL] = { { "Level",
		"レベル" } },
	[L_SCORE] = { { "Score",
		"スコア" } },
	[L_TIER] = { { "Response tier",
		"対応段階" } },
	[L_RULE] = { { "Rule",
		"規則" } },
	[L_FACTORS] = { { "Factors",
		"要素" } },
	[L_FACTOR] = { { "Factor",
		"要素" } },
	[L_WEIGHT] = { { "Weight",
		"重み" } },
	[L_EVIDENCE] = { { "Evidence",
		"根拠" } },
	[L_WOULD_SETTLE] = { { "What would settle it",
		"確定に必要な情報" } },
	[L_UNDETERMINED] = { { "undetermined",
		"未確定" } },
	[L_OPEN_FACTS] = { { "Facts not yet known, and what they may still be",
		"未確定の事実と取りうる値" } },
	[L_OPEN_RULES] = { { "Rules that may yet decide",
		"まだ判定しうる規則" } },
	[L_WHEN] = { { "When",
		"条件" } },
	[L_POLICY] = { { "Policy",
		"ポリシー" } },
	[L_IN_FORCE] = { { "ratified, in force",
		"批准済み・発効中" } },
	[L_NOT_IN_FORCE] = { { "not ratified",
		"未批准" } },
	[L_APPROVED_BY] = { { "Approved by",
		"承認した当事者" } },
	[L_APPROVALS_MISSING] = { { "Approvals missing",
		"未承認の当事者" } },
	[L_NO_POLICY] = { { "This node holds no use-of-force policy yet (trilex policy propose).",
		"このノードには武力行使ポリシーがまだありません（trilex policy propose）。" } },
	[L_FACTS_FORM] = { { "Enter or correct facts and assess again",
		"事実を入力・訂正して再評価" } },
	[L_FACTS_HINT] = { { "Leave a fact empty when it is not known: the assessment then covers every value it could take. The facts are saved as a new version of the incident, marked as its sources are, and the assessment is stored beside it.",
		"不明な事実は空欄にしてください。評価はその事実が取りうるすべての値を考慮します。事実はインシデントの新しい版として、元情報と同じマーキングで保存され、評価もあわせて保存されます。" } },
	[L_UNKNOWN] = { { "unknown",
		"不明" } },
	[L_YES] = { { "yes",
		"はい" } },
	[L_NO] = { { "no",
		"いいえ" } },
	[L_ASSESS] = { { "Save and assess again",
		"保存して再評価" } },
	[L_DEATHS] = { { "Deaths",
		"死者数" } },
	[L_INJURIES] = { { "Injuries",
		"負傷者数" } },
	[L_CAUSATION] = { { "Causation",
		"因果関係" } },
	[L_CRIT_INFRA] = { { "Critical infrastructure",
		"重要インフラ" } },
	[L_NAT_IMPORTANCE] = { { "National importance",
		"国家的重要性" } },
	[L_MILITARY] = { { "Military nexus",
		"軍事的関連" } },
	[L_ONSET] = { { "Onset (hours)",
		"発生までの時間（時間）" } },
	[L_STATE] = { { "Attributed state",
		"帰属国" } },
	[L_CONFIDENCE] = { { "Attribution confidence (0-100)",
		"帰属の確信度（0〜100）" } },
	[L_BAD_FACT] = { { "A fact is not valid; nothing was saved:",
		"無効な事実があります。何も保存されていません:" } },
	[L_STORED] = { { "Stored assessments",
		"保存された評価" } },
	[L_NO_RIGHT_ASSESS] = { { "Your role may not ask for assessments.",
		"あなたのロールでは評価を依頼できません。" } },
	[L_PARTNER_INCIDENT] = { { "A partner reported this incident: only its author can correct its facts.",
		"このインシデントはパートナーからの報告です。事実を訂正できるのは作成者だけです。" } },
	[L_READ_ONLY] = { { "You may not write this incident's collection.",
		"このインシデントのコレクションに書き込む権限がありません。" } },
	[L_PROBLEMS] = { { "Contradictions and gaps",
		"矛盾と欠落" } },
	[L_CANNOT_ASSESS] = { { "This incident cannot be assessed as stored:",
		"保存されているこのインシデントは評価できません:" } },
	[L_FACTS] = { { "Facts",
		"事実" } },
};

const char *console_label(int lang, int id)
{
	if (id < 0 || id >= L_COUNT)
		return "?";
	if (lang < 0 || lang >= CONSOLE_N_LANGS || labels[id].text[lang] == NULL)
		lang = CONSOLE_EN;
	return labels[id].text[lang] ? labels[id].text[lang] : "?";
}

int console_label_missing(int lang)
{
	for (int i = 0; i < L_COUNT; i++)
		if (labels[i].text[lang] == NULL || labels[i].text[lang][0] == '\0')
			return i;
	return -1;
}

static const char *const lang_codes[CONSOLE_N_LANGS] = { "en", "ja" };

int console_lang_parse(const char *code)
{
	for (int i = 0; code && i < CONSOLE_N_LANGS; i++)
		if (strcmp(code, lang_codes[i]) == 0)
			return i;
	return -1;
}

const char *console_lang_code(int lang)
{
	return lang >= 0 && lang < CONSOLE_N_LANGS ? lang_codes[lang] : "en";
}
