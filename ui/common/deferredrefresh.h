#pragma once
/// A screen's reload, run when it can be seen: a tab behind others that the store's reload
/// asks to refresh does so the next time it is shown, not at once — so opening a large store
/// reads what the current tab shows first, and every job's end does not re-read every tab.
/// A widget whose window is not on screen (a test, an export) refreshes at once.
#include <QObject>

#include <functional>

class QWidget;

namespace taskmoe::ui {

class DeferredRefresh : public QObject
{
    Q_OBJECT
public:
    DeferredRefresh(QWidget *widget, std::function<void()> refresh);

    /// True while a refresh waits for the widget to be shown.
    bool pending() const { return m_pending; }

public slots:
    /// Refreshes now when the widget is visible or its window is not shown, else on its next show.
    void request();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *m_widget;
    std::function<void()> m_refresh;
    bool m_pending = false;
};

} // namespace taskmoe::ui
