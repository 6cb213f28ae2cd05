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
