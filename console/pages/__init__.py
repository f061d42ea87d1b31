"""The console's pages, one module per area; `routes()` lists them in one place."""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    from console.pages import admin, conversations, dashboard, editor, export, login, requests, suggestions, unanswered

    return [
        Route("/login", login.show_login, methods=["GET"]),
        Route("/login", login.sign_in, methods=["POST"]),
        Route("/logout", login.sign_out, methods=["POST"]),
        Route("/", dashboard.show_dashboard, methods=["GET"]),
        Route("/conversations", conversations.list_conversations, methods=["GET"]),
        Route("/conversations/{ref:int}", conversations.show_conversation, methods=["GET"]),
        Route("/conversations/{ref:int}/unmask", conversations.unmask_conversation, methods=["POST"]),
        Route("/unanswered", unanswered.list_unanswered, methods=["GET"]),
        Route("/unanswered/handled", unanswered.mark_handled, methods=["POST"]),
        Route("/unanswered/suggest", unanswered.suggest, methods=["POST"]),
        Route("/requests", requests.list_requests, methods=["GET"]),
        Route("/requests/{code}", requests.show_request, methods=["GET"]),
        Route("/requests/{code}/status", requests.change_status, methods=["POST"]),
        Route("/requests/{code}/unmask", requests.unmask_request, methods=["POST"]),
        Route("/export", export.show_export, methods=["GET"]),
        Route("/export", export.download, methods=["POST"]),
        Route("/suggestions", suggestions.list_suggestions, methods=["GET"]),
        Route("/suggestions/{ref}/accept", editor.accept_suggestion, methods=["GET"]),
        Route("/suggestions/{ref}/reject", suggestions.reject_suggestion, methods=["POST"]),
        Route("/services", editor.list_services, methods=["GET"]),
        Route("/services/new", editor.change_new_service, methods=["POST"]),
        Route("/services/new/card", editor.new_from_card, methods=["POST"]),
        Route("/services/{service_id}", editor.edit_service, methods=["GET"]),
        Route("/services/{service_id}", editor.change_service, methods=["POST"]),
        Route("/services/{service_id}/history", editor.show_history, methods=["GET"]),
        Route("/services/{service_id}/revert", editor.revert_service, methods=["POST"]),
        Route("/audit", admin.show_audit, methods=["GET"]),
        Route("/users", admin.list_users, methods=["GET"]),
        Route("/users", admin.add_user, methods=["POST"]),
        Route("/users/{name}/disable", admin.disable_user, methods=["POST"]),
        Route("/users/{name}/enable", admin.enable_user, methods=["POST"]),
    ]
